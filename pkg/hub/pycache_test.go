package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/hub/hubtest"
)

// The cache huggingface_hub 0.36 and transformers 4.46.3 wrote
// (scripts/fixtures/make_hub_cache.py), and what the script served.
const pyCache = "../../testdata/hub/cache"

type expectedRepos map[string]map[string]struct { // repo → revision →
	Commit string `json:"commit"`
	Files  map[string]struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
		ETag   string `json:"etag"`
	} `json:"files"`
}

// listing is every path under root with its symlink target or size.
func listing(t *testing.T, root string) string {
	var b strings.Builder
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		link, _ := os.Readlink(p)
		info, _ := d.Info()
		b.WriteString(rel + " " + link + " " + info.Mode().String() + "\n")
		return nil
	})
	return b.String()
}

// TestPythonCache reads the cache written by huggingface_hub: offline, by
// commit hash, with the hub unreachable, and online (one HEAD), never
// downloading and never changing the tree.
func TestPythonCache(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/hub/expected.json")
	if err != nil {
		t.Skipf("fixture missing: %v", err)
	}
	var want expectedRepos
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	const chinese, sharded = "gotrl-test/tiny-gpt2-chinese", "tiny-gpt2-sharded"
	cases := []struct {
		name, id, rev string
		files         Files
		mode          string // offline, online, stopped
		// probes are the files asked for online: those the Python run
		// never looked up (hf_hub_download alone, no transformers), whose
		// 404s then add .no_exist markers and nothing else.
		probes []string
	}{
		{name: "offline main", id: chinese, rev: "main", files: ModelFiles, mode: "offline"},
		{name: "offline tag", id: chinese + "@v1.0", rev: "v1.0", files: ModelFiles, mode: "offline"},
		{name: "offline root-level sharded", id: sharded, rev: "main", files: ModelFiles, mode: "offline"},
		{name: "offline tokenizer", id: chinese, rev: "main", files: TokenizerFiles, mode: "offline"},
		{name: "online by commit", id: chinese + "@" + want[chinese]["main"].Commit, rev: "main", files: ModelFiles, mode: "online"},
		{name: "online main", id: chinese, rev: "main", files: ModelFiles, mode: "online", probes: []string{"config.json"}},
		{name: "online sharded", id: sharded, rev: "main", files: ModelFiles, mode: "online", probes: []string{"config.json"}},
		{name: "online tag fetched file by file", id: chinese + "@v1.0", rev: "v1.0", files: ModelFiles, mode: "online",
			probes: []string{"config.json", "adapter_config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"}},
		{name: "hub unreachable", id: sharded, rev: "main", files: ModelFiles, mode: "stopped"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cache := hubtest.CopyTree(t, pyCache)
			before := listing(t, cache)
			srv := hubtest.New(t)
			c := newClient(t, srv)
			c.CacheDir = cache
			rev := want[strings.Split(tc.id, "@")[0]][tc.rev]
			repo := strings.Split(tc.id, "@")[0]
			switch tc.mode {
			case "offline":
				c.Offline = true
			case "online":
				// The same repository served again: its commit must be the
				// one in the cache, so nothing is downloaded.
				files := map[string][]byte{}
				for n := range rev.Files {
					b, err := os.ReadFile(filepath.Join(cache, "models--"+strings.ReplaceAll(repo, "/", "--"), "snapshots", rev.Commit, n))
					if err != nil {
						t.Fatal(err)
					}
					files[n] = b
				}
				r := &hubtest.Repo{Commits: map[string]map[string][]byte{}, Refs: map[string]string{}}
				r.Refs[tc.rev] = r.Add(tc.rev, files)
				if r.Refs[tc.rev] != rev.Commit {
					t.Fatalf("served commit %s, fixture %s", r.Refs[tc.rev], rev.Commit)
				}
				srv.AddRepo(repo, r)
			case "stopped":
				srv.Close()
			}
			dir, err := resolveID(t, c, tc.id, tc.files)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(cache, "models--"+strings.ReplaceAll(repo, "/", "--"), "snapshots", rev.Commit); dir != want {
				t.Fatalf("snapshot %s, want %s", dir, want)
			}
			for n, f := range rev.Files {
				b, err := os.ReadFile(filepath.Join(dir, n))
				if err != nil {
					t.Fatalf("%s: %v", n, err)
				}
				if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != f.SHA256 {
					t.Fatalf("%s: sha256 %x, want %s", n, sum, f.SHA256)
				}
			}
			var asked []string
			for _, r := range srv.Requests() {
				if r.Method != "HEAD" {
					t.Fatalf("downloaded from a complete cache: %+v", r)
				}
				asked = append(asked, r.Path[strings.LastIndex(r.Path, "/")+1:])
			}
			if strings.Join(asked, " ") != strings.Join(tc.probes, " ") {
				t.Fatalf("asked the hub for %v, want %v", asked, tc.probes)
			}
			after := strings.Split(listing(t, cache), "\n")
			old := map[string]bool{}
			for _, line := range strings.Split(before, "\n") {
				old[line] = true
			}
			for _, line := range after {
				if !old[line] && !strings.Contains(line, ".no_exist") {
					t.Fatalf("the cache changed beyond .no_exist markers: %q", line)
				}
				delete(old, line)
			}
			if len(old) > 0 {
				t.Fatalf("entries removed from the cache: %v", old)
			}
		})
	}
}
