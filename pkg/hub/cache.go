package hub

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// The cache layout of huggingface_hub (file_download.hf_hub_download):
//
//	CacheDir/models--org--name/    (datasets--org--name/ for a dataset)
//	  blobs/<etag>                 file contents; etag = sha256 (LFS) or git blob sha1
//	  blobs/<etag>.incomplete      a download in progress, resumed from its length
//	  snapshots/<commit>/<file>    relative symlink to ../../blobs/<etag>
//	  refs/<revision>              the commit a branch or tag pointed to last
//	  .no_exist/<commit>/<file>    empty: the hub said 404 for file at commit
//	CacheDir/.locks/models--org--name/<etag>.lock

// markCacheVersion writes CacheDir/version.txt = "1" when missing:
// transformers (utils/hub.py) otherwise takes a non-empty cache for one of
// before v4.22, warns, and tries to migrate it. A failure is ignored, as
// transformers ignores it.
func (c *Client) markCacheVersion() {
	p := filepath.Join(c.CacheDir, "version.txt")
	if _, err := os.Stat(p); err == nil {
		return
	}
	_ = writeFileAtomic(p, func(w io.Writer) error {
		_, err := io.WriteString(w, "1")
		return err
	})
}

// repoDir is the repository's folder (repo_folder_name): models--org--name.
func (c *Client) repoDir(id ID) string {
	return filepath.Join(c.CacheDir, id.folder())
}

// snapshotDir is the directory a loader reads for one commit.
func (c *Client) snapshotDir(id ID, commit string) string {
	return filepath.Join(c.repoDir(id), "snapshots", commit)
}

// pointerPath is _get_pointer_path: file inside the commit's snapshot,
// refusing names that would land outside it ("../x", "/etc/x").
func (c *Client) pointerPath(id ID, commit, file string) (string, error) {
	if !safeName(commit) {
		return "", fmt.Errorf("%s: commit %q is not a plain name", id.Repo, commit)
	}
	snap := c.snapshotDir(id, commit)
	p := filepath.Join(snap, filepath.FromSlash(file))
	if rel, err := filepath.Rel(snap, p); err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s: file name %q leaves the snapshot directory", id.Repo, file)
	}
	return p, nil
}

// safeName reports whether a name the server sent (a commit, an ETag) can
// be used as one path element.
func safeName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`)
}

// readRef is the commit refs/<rev> names, or rev itself when it is a
// commit hash; "" when neither.
func (c *Client) readRef(id ID, rev string) string {
	if commitPattern.MatchString(rev) {
		return rev
	}
	b, err := os.ReadFile(filepath.Join(c.repoDir(id), "refs", filepath.FromSlash(rev)))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// writeRef is _cache_commit_hash_for_specific_revision: refs/<rev> holds
// the commit (no newline) unless rev is that commit; written only when it
// changes, through a rename so a reader never sees half a hash.
func (c *Client) writeRef(id ID, rev, commit string) error {
	if rev == commit || c.readRef(id, rev) == commit {
		return nil
	}
	p := filepath.Join(c.repoDir(id), "refs", filepath.FromSlash(rev))
	return writeFileAtomic(p, func(w io.Writer) error {
		_, err := io.WriteString(w, commit)
		return err
	})
}

func (c *Client) noExistPath(id ID, commit, file string) string {
	return filepath.Join(c.repoDir(id), ".no_exist", commit, filepath.FromSlash(file))
}

// markNoExist records a 404 as huggingface_hub does; failing to is not an
// error there either (the cache may be read-only).
func (c *Client) markNoExist(id ID, commit, file string) {
	p := c.noExistPath(id, commit, file)
	if os.MkdirAll(filepath.Dir(p), 0o755) == nil {
		if f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			f.Close()
		}
	}
}

// linkBlob makes pointer a relative symlink to blob (_create_symlink). The
// link is made under a temporary name and renamed over pointer, so the
// snapshot never holds a missing or dangling entry. Where symlinks are not
// supported, it copies the blob instead, as huggingface_hub does.
func linkBlob(blob, pointer string) error {
	dir := filepath.Dir(pointer)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rel, err := filepath.Rel(dir, blob)
	if err != nil {
		rel = blob
	}
	tmp := filepath.Join(dir, "."+filepath.Base(pointer)+".link")
	os.Remove(tmp)
	if err := os.Symlink(rel, tmp); err != nil {
		return safetensors.CopyAtomic(blob, pointer)
	}
	if err := os.Rename(tmp, pointer); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeFileAtomic is safetensors.WriteAtomic (a temporary file renamed into
// place) with the directory made first.
func writeFileAtomic(path string, fill func(w io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return safetensors.WriteAtomic(path, fill)
}
