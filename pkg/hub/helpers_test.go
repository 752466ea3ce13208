package hub

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gotrl/gotrl/pkg/hub/hubtest"
)

const models = "../../testdata/models"

// readDir returns the regular files of a fixture directory.
func readDir(t *testing.T, dir string, names ...string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Skipf("fixture missing: %v", err)
		}
		out[n] = b
	}
	return out
}

// tinyGPT2 is testdata/models/gpt2 plus a vocab.txt, as a hub repository
// holds it (model.safetensors is an LFS file, 130,880 bytes).
func tinyGPT2(t *testing.T) map[string][]byte {
	files := readDir(t, filepath.Join(models, "gpt2"), "config.json", "generation_config.json", "model.safetensors")
	files["vocab.txt"] = []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n基\n于\n图\n")
	return files
}

func shardedGPT2(t *testing.T) map[string][]byte {
	return readDir(t, filepath.Join(models, "gpt2-sharded"), "config.json", "generation_config.json",
		"model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
}

// newClient is a client of srv with an empty cache and no pause between
// retries.
func newClient(t *testing.T, srv *hubtest.Server) *Client {
	t.Helper()
	c := FromEnv()
	c.Endpoint, c.CacheDir, c.Token, c.Offline = srv.URL, t.TempDir(), "", false
	c.retryDelay = time.Millisecond
	return c
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkSnapshot asserts dir holds exactly want's files with want's bytes,
// each a relative symlink into ../../blobs/<etag> named by the hub's ETag.
func checkSnapshot(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	var names []string
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Fatalf("snapshot %s holds %v, want %v", dir, got, names)
	}
	for n, b := range want {
		p := filepath.Join(dir, n)
		link, err := os.Readlink(p)
		if err != nil {
			t.Fatalf("%s is not a symlink: %v", n, err)
		}
		etag := hubtest.GitSHA1(b)
		if hubtest.IsLFS(n) {
			etag = hubtest.SHA256(b)
		}
		if link != "../../blobs/"+etag {
			t.Fatalf("%s -> %s, want ../../blobs/%s", n, link, etag)
		}
		have, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(have, b) {
			t.Fatalf("%s: %d bytes (%v), want the %d served", n, len(have), err, len(b))
		}
	}
}

// noPartialFiles asserts that nothing under the repository's blobs/ and
// snapshots/ is partial: no .incomplete, no temporary link or file.
func noPartialFiles(t *testing.T, c *Client, repo string) {
	t.Helper()
	_ = filepath.WalkDir(c.repoDir(ID{Repo: repo}), func(p string, d os.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(p, ".incomplete") || strings.HasPrefix(d.Name(), ".") && !strings.Contains(p, ".no_exist")) {
			t.Errorf("partial file left: %s", p)
		}
		return nil
	})
}

func resolveID(t *testing.T, c *Client, id string, want Files) (string, error) {
	t.Helper()
	parsed, err := ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Snapshot(context.Background(), parsed, want)
}

// count tallies requests by method and host kind.
func count(reqs []hubtest.Request) (heads, gets int) {
	for _, r := range reqs {
		if r.Method == "HEAD" {
			heads++
		} else {
			gets++
		}
	}
	return
}
