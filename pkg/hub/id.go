package hub

import (
	"fmt"
	"regexp"
	"strings"
)

// DefaultRevision is the branch a bare id resolves to (constants.DEFAULT_REVISION).
const DefaultRevision = "main"

// ID names a repository on the hub: Repo is "org/name" or, for the
// root-level repositories such as "gpt2" or "bert-base-chinese", "name".
// Revision is a branch, a tag or a commit hash ("" means main). Type is
// the kind of repository ("" is a model).
type ID struct {
	Repo     string
	Revision string
	Type     RepoType
}

// RepoType is a kind of repository (constants.REPO_TYPES): it decides the
// URL prefix and the cache folder, and nothing else.
type RepoType string

const (
	ModelRepo   RepoType = "model"   // also the zero value
	DatasetRepo RepoType = "dataset" // hf_hub_download(repo_type="dataset")
)

// kind is the type's name, "" read as a model.
func (t RepoType) kind() string {
	if t == "" {
		return string(ModelRepo)
	}
	return string(t)
}

// folder is repo_folder_name: "models--org--name", "datasets--org--name".
func (id ID) folder() string {
	return id.Type.kind() + "s--" + strings.ReplaceAll(id.Repo, "/", "--")
}

// urlPath is the repository in hub URLs: REPO_TYPES_URL_PREFIXES puts
// "datasets/" before a dataset's id and nothing before a model's.
func (id ID) urlPath() string {
	if id.Type.kind() == string(ModelRepo) {
		return id.Repo
	}
	return id.Type.kind() + "s/" + id.Repo
}

// repoIDPattern is huggingface_hub's REPO_ID_REGEX (utils/_validators.py):
// an optional namespace, then 1–96 of [A-Za-z0-9_.-] that neither start nor
// end with '-' or '.'.
var repoIDPattern = regexp.MustCompile(`^(\b[\w\-.]+\b/)?\b[\w\-.]{1,96}\b$`)

// commitPattern is a full commit hash (file_download.REGEX_COMMIT_HASH): only
// such a revision names a snapshot directory without asking the hub.
var commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ParseID reads "org/name", "name" or either with "@revision". It applies
// validate_repo_id's rules, so a path such as "./out", "runs/a/b" or
// "/data/model" is never taken for an id.
func ParseID(s string) (ID, error) {
	repo, rev, hasRev := strings.Cut(s, "@")
	if hasRev && rev == "" {
		return ID{}, fmt.Errorf("hub id %q: empty revision after '@'", s)
	}
	if err := validateRepo(repo); err != nil {
		return ID{}, err
	}
	if err := validateRevision(rev); err != nil {
		return ID{}, fmt.Errorf("hub id %q: %w", s, err)
	}
	return ID{Repo: repo, Revision: rev}, nil
}

func validateRepo(repo string) error {
	switch {
	case strings.Count(repo, "/") > 1:
		return fmt.Errorf("hub id %q: want org/name or name", repo)
	case !repoIDPattern.MatchString(repo):
		return fmt.Errorf("hub id %q: use letters, digits, '-', '_' or '.', not first or last, at most 96 per part", repo)
	case strings.Contains(repo, "--") || strings.Contains(repo, ".."):
		return fmt.Errorf("hub id %q: '--' and '..' are not allowed", repo)
	case strings.HasSuffix(repo, ".git"):
		return fmt.Errorf("hub id %q: must not end in .git", repo)
	}
	return nil
}

// validateRevision keeps a revision from escaping refs/ when it becomes a
// file name there ("refs/pr/1" is a valid revision and a nested ref file).
func validateRevision(rev string) error {
	for _, part := range strings.Split(rev, "/") {
		if rev != "" && (part == "" || part == "." || part == "..") {
			return fmt.Errorf("revision %q: empty, '.' or '..' path segment", rev)
		}
	}
	return nil
}

// WithRevision returns id at rev; rev "" keeps id's own. Both given and
// different is an error (`org/name@a --revision b`).
func (id ID) WithRevision(rev string) (ID, error) {
	if rev == "" {
		return id, nil
	}
	if id.Revision != "" && id.Revision != rev {
		return id, fmt.Errorf("%s: revision given twice (@%s and %s)", id, id.Revision, rev)
	}
	if err := validateRevision(rev); err != nil {
		return id, err
	}
	id.Revision = rev
	return id, nil
}

func (id ID) rev() string {
	if id.Revision == "" {
		return DefaultRevision
	}
	return id.Revision
}

// String is the id as the user writes it.
func (id ID) String() string {
	if id.Revision == "" {
		return id.Repo
	}
	return id.Repo + "@" + id.Revision
}
