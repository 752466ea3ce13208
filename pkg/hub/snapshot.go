package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Files names what a loader needs from a repository.
type Files string

const (
	// ModelFiles: config.json, one weights format (sharded included),
	// generation_config.json, the tokenizer files, and a PEFT adapter
	// (adapter_config.json + its weights) when the repository has one.
	ModelFiles Files = "model"
	// TokenizerFiles: the tokenizer files only.
	TokenizerFiles Files = "tokenizer"
)

func (f Files) validate() error {
	if f != ModelFiles && f != TokenizerFiles {
		return fmt.Errorf("hub: files %q: want %q or %q", string(f), ModelFiles, TokenizerFiles)
	}
	return nil
}

// File names transformers and PEFT look for (CONFIG_NAME, the weights
// constants in from_pretrained's order, the tokenizers' VOCAB_FILES_NAMES,
// ADAPTER_CONFIG_NAME / ADAPTER_SAFE_WEIGHTS_NAME).
var (
	weightFiles    = []string{"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"}
	adapterWeights = []string{"adapter_model.safetensors", "adapter_model.bin"}
	tokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"}
	// vocabularies are the slow tokenizers' files, in the order
	// tokenizer.Load tries them; only the first one present is fetched,
	// as transformers fetches only its tokenizer class's files.
	vocabularies = [][]string{
		{"vocab.txt"},                // WordPiece (BERT)
		{"vocab.json", "merges.txt"}, // byte-level BPE (GPT-2)
		{"spiece.model"},             // SentencePiece (T5)
	}
)

const (
	configFile        = "config.json"
	generationConfig  = "generation_config.json"
	adapterConfigFile = "adapter_config.json"
)

// Resolve returns pathOrID itself when it exists on disk (a local
// directory always wins over a hub id of the same spelling), else the
// snapshot directory of the hub id it spells.
func (c *Client) Resolve(ctx context.Context, pathOrID string, want Files) (string, error) {
	if _, err := os.Stat(pathOrID); err == nil {
		return pathOrID, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	id, err := ParseID(pathOrID)
	if err != nil {
		return "", fmt.Errorf("%s: no such file or directory, and not a hub id: %w", pathOrID, err)
	}
	dir, err := c.Snapshot(ctx, id, want)
	if err != nil {
		// transformers: "… is not a local folder and is not a valid model identifier"
		return "", fmt.Errorf("%s is not a local path, and as a hub id: %w", pathOrID, err)
	}
	return dir, nil
}

// Snapshot fetches the files a loader needs (want) of id into the cache
// and returns the snapshot directory (CacheDir/models--org--name/
// snapshots/<commit>). The first file pins the commit, so every file comes
// from the same one even if the branch moves meanwhile, and a warm cache
// costs one HEAD request, as transformers' _commit_hash does. When the hub
// cannot be reached, the rest is taken from the cache.
func (c *Client) Snapshot(ctx context.Context, id ID, want Files) (string, error) {
	if err := want.validate(); err != nil {
		return "", err
	}
	if err := validateRepo(id.Repo); err != nil {
		return "", err
	}
	s := &snapshot{c: c, ctx: ctx, id: id, rev: id.rev()}
	var err error
	if want == TokenizerFiles {
		err = s.tokenizer()
	} else {
		err = s.model()
	}
	if err != nil {
		return "", err
	}
	return c.snapshotDir(id, s.rev), nil
}

// snapshot is one Snapshot call in progress.
type snapshot struct {
	c     *Client
	ctx   context.Context
	id    ID
	rev   string // the commit once the first answer came
	found int
	// unreachable is set by the first failure to reach the hub; the
	// remaining files come from the cache only.
	unreachable error
	notCached   error // the first file neither downloadable nor cached
}

func (s *snapshot) model() error {
	config, err := s.get(configFile)
	if err != nil {
		return err
	}
	adapter, err := s.get(adapterConfigFile)
	if err != nil {
		return err
	}
	if !config && !adapter {
		return s.missing("config.json", configFile)
	}
	weights, err := s.first(weightFiles)
	if err != nil {
		return err
	}
	if weights == "" && !adapter {
		return s.missing("weights", weightFiles...)
	}
	if strings.HasSuffix(weights, ".index.json") {
		if err := s.shards(weights); err != nil {
			return err
		}
	}
	if adapter {
		if w, err := s.first(adapterWeights); err != nil {
			return err
		} else if w == "" {
			return s.missing("adapter weights", adapterWeights...)
		}
	}
	if err := s.optional([]string{generationConfig}); err != nil {
		return err
	}
	_, err = s.tokenizerFiles()
	return err
}

func (s *snapshot) tokenizer() error {
	// AutoTokenizer reads config.json too: its model_type names the
	// tokenizer class when tokenizer_config.json names none
	if err := s.optional([]string{configFile}); err != nil {
		return err
	}
	ok, err := s.tokenizerFiles()
	if err == nil && !ok {
		return s.missing("tokenizer files", "tokenizer.json", "vocab.txt", "vocab.json", "spiece.model")
	}
	return err
}

// tokenizerFiles fetches tokenizer.json and its companions, then the first
// vocabulary found; ok says whether a tokenizer can be loaded.
func (s *snapshot) tokenizerFiles() (ok bool, err error) {
	for _, n := range tokenizerFiles {
		found, err := s.get(n)
		if err != nil {
			return false, err
		}
		ok = ok || found && n == "tokenizer.json"
	}
	for _, vocab := range vocabularies {
		found, err := s.get(vocab[0])
		if err != nil {
			return false, err
		}
		if found {
			return true, s.optional(vocab[1:])
		}
	}
	return ok, nil
}

// get resolves one file: true when it is in the snapshot now, false when
// the hub says it does not exist or it is neither downloadable nor cached.
func (s *snapshot) get(name string) (bool, error) {
	var path, commit string
	var err error
	at := s.id
	at.Revision = s.rev
	if s.unreachable != nil {
		path, commit, err = s.c.fromCache(at, s.rev, name, s.unreachable)
	} else {
		path, commit, err = s.c.File(s.ctx, at, name)
	}
	if commit != "" && s.rev != commit {
		s.rev = commit
	}
	switch {
	case err == nil:
		s.found++
		return path != "", nil
	case errors.Is(err, ErrEntryNotFound):
		return false, nil
	case errors.Is(err, ErrNotCached):
		if s.notCached == nil {
			s.notCached = err
		}
		var u *unreachableError
		if s.unreachable == nil && errors.As(err, &u) {
			s.unreachable = u
		}
		return false, nil
	}
	return false, err
}

// first returns the first of names the snapshot has ("" when none).
func (s *snapshot) first(names []string) (string, error) {
	for _, n := range names {
		ok, err := s.get(n)
		if err != nil || ok {
			return n, err
		}
	}
	return "", nil
}

func (s *snapshot) optional(names []string) error {
	for _, n := range names {
		if _, err := s.get(n); err != nil {
			return err
		}
	}
	return nil
}

// shards fetches every file a sharded checkpoint's index lists in its
// weight_map, each one required.
func (s *snapshot) shards(index string) error {
	p, _, err := s.c.cached(s.id, s.rev, index)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return fmt.Errorf("%s: read %s: %w", s.id, index, err)
	}
	set := map[string]bool{}
	for _, f := range idx.WeightMap {
		set[f] = true
	}
	if len(set) == 0 {
		return fmt.Errorf("%s: %s has an empty weight_map", s.id, index)
	}
	names := make([]string, 0, len(set))
	for f := range set {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, n := range names {
		ok, err := s.get(n)
		if err != nil {
			return err
		}
		if !ok {
			return s.missing("shard "+n+" (listed in "+index+")", n)
		}
	}
	return nil
}

// missing is the error for a required file that is not there: not cached
// (offline or unreachable) when that is why, else absent from the repository.
func (s *snapshot) missing(what string, names ...string) error {
	if s.notCached != nil {
		if s.found == 0 {
			return fmt.Errorf("%s: %w %s, and %w", s.id, ErrNotCached, s.c.CacheDir, s.why())
		}
		return fmt.Errorf("%s: %s (%s): %w %s, and %w", s.id, what, strings.Join(names, ", "), ErrNotCached, s.c.CacheDir, s.why())
	}
	return fmt.Errorf("%w: %s has no %s (looked for %s at %s)", ErrEntryNotFound, s.id, what, strings.Join(names, ", "), s.rev)
}

func (s *snapshot) why() error {
	if s.c.Offline {
		return errors.New("offline mode (HF_HUB_OFFLINE=1) allows no download")
	}
	return fmt.Errorf("the hub %s cannot be reached: %w", s.c.Endpoint, s.unreachable)
}
