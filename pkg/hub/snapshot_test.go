package hub

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/hub/hubtest"
)

// TestFirstDownload fetches a repository into an empty cache and checks
// the layout huggingface_hub writes, the headers sent, and that the token
// never reaches the CDN host.
func TestFirstDownload(t *testing.T) {
	srv := hubtest.New(t)
	files := tinyGPT2(t)
	repo := hubtest.NewRepo(files)
	repo.Private = true
	srv.AddRepo("org/tiny-gpt2", repo)
	srv.Token = "hf_secret"
	c := newClient(t, srv)
	c.Token = "hf_secret"
	var progress bytes.Buffer
	c.Progress = &progress

	dir, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
	if err != nil {
		t.Fatal(err)
	}
	commit := repo.Refs["main"]
	if want := filepath.Join(c.CacheDir, "models--org--tiny-gpt2", "snapshots", commit); dir != want {
		t.Fatalf("snapshot %s, want %s", dir, want)
	}
	checkSnapshot(t, dir, files)
	noPartialFiles(t, c, "org/tiny-gpt2")
	if ref, _ := os.ReadFile(filepath.Join(c.CacheDir, "models--org--tiny-gpt2", "refs", "main")); string(ref) != commit {
		t.Fatalf("refs/main = %q, want %q", ref, commit)
	}
	if v, _ := os.ReadFile(filepath.Join(c.CacheDir, "version.txt")); string(v) != "1" {
		t.Fatalf("version.txt = %q, want transformers' \"1\"", v)
	}
	// Files a loader looked for and the repository lacks are cached 404s.
	for _, n := range []string{"adapter_config.json", "tokenizer.json", "added_tokens.json"} {
		if _, err := os.Stat(filepath.Join(c.CacheDir, "models--org--tiny-gpt2", ".no_exist", commit, n)); err != nil {
			t.Errorf(".no_exist/%s/%s: %v", commit, n, err)
		}
	}
	// One weights format and one vocabulary are enough: the others are
	// not even asked for.
	for _, n := range []string{"pytorch_model.bin", "model.safetensors.index.json", "vocab.json", "spiece.model"} {
		if _, err := os.Stat(filepath.Join(c.CacheDir, "models--org--tiny-gpt2", ".no_exist", commit, n)); err == nil {
			t.Errorf("asked for %s", n)
		}
	}
	var cdn, hub int
	for _, r := range srv.Requests() {
		switch {
		case strings.HasPrefix(r.Host, "localhost:"):
			cdn++
			if r.Auth != "" {
				t.Errorf("token sent to the CDN: %+v", r)
			}
		default:
			hub++
			if r.Auth != "Bearer hf_secret" {
				t.Errorf("hub request without the token: %+v", r)
			}
		}
	}
	if cdn != 1 {
		t.Errorf("%d CDN requests, want 1 (model.safetensors)", cdn)
	}
	if !strings.Contains(progress.String(), "download model.safetensors (130.9 kB)") || !strings.Contains(progress.String(), "download model.safetensors: done") {
		t.Errorf("progress output %q", progress.String())
	}
}

// TestCacheHit: with a warm cache a second resolve costs one HEAD
// (transformers' _commit_hash), and with the server stopped it still works.
func TestCacheHit(t *testing.T) {
	srv := hubtest.New(t)
	files := tinyGPT2(t)
	srv.AddRepo("org/tiny-gpt2", hubtest.NewRepo(files))
	c := newClient(t, srv)
	first, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
	if err != nil {
		t.Fatal(err)
	}
	srv.Requests()

	again, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
	if err != nil || again != first {
		t.Fatalf("warm resolve: %s %v, want %s", again, err, first)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Method != "HEAD" || !strings.HasSuffix(reqs[0].Path, "/config.json") {
		t.Fatalf("warm resolve made %+v, want one HEAD of config.json", reqs)
	}

	// 5xx is no answer about the repository: the cache serves, as in
	// huggingface_hub; a repository never fetched cannot be had.
	srv.SetFaults(hubtest.Faults{HubStatus: 503})
	if dir, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles); err != nil || dir != first {
		t.Fatalf("hub answering 503: %s %v, want %s", dir, err, first)
	}
	if _, err := resolveID(t, c, "org/other", ModelFiles); !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "503 Service Unavailable") {
		t.Fatalf("uncached, hub answering 503: %v", err)
	}

	srv.Close()
	stopped, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
	if err != nil || stopped != first {
		t.Fatalf("server stopped: %s %v, want %s", stopped, err, first)
	}
	checkSnapshot(t, stopped, files)

	// A repository never fetched cannot come from anywhere.
	_, err = resolveID(t, c, "org/other", ModelFiles)
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "cannot be reached") {
		t.Fatalf("uncached with the server stopped: %v", err)
	}
}

func TestOffline(t *testing.T) {
	srv := hubtest.New(t)
	files := tinyGPT2(t)
	srv.AddRepo("org/tiny-gpt2", hubtest.NewRepo(files))
	c := newClient(t, srv)
	c.Offline = true
	_, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE=1") || !strings.Contains(err.Error(), c.CacheDir) {
		t.Fatalf("offline, empty cache: %v", err)
	}
	c.Offline = false
	online, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
	if err != nil {
		t.Fatal(err)
	}
	srv.Requests()
	c.Offline = true
	dir, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
	if err != nil || dir != online {
		t.Fatalf("offline, warm cache: %s %v, want %s", dir, err, online)
	}
	if reqs := srv.Requests(); len(reqs) != 0 {
		t.Fatalf("offline mode made %d requests: %+v", len(reqs), reqs)
	}
	if _, err := resolveID(t, c, "org/tiny-gpt2@v2", ModelFiles); !errors.Is(err, ErrNotCached) {
		t.Fatalf("offline, revision never fetched: %v", err)
	}
}

// TestRevisions resolves a tag (refs/<tag> written) and a commit hash (no
// ref; a second resolve needs no request), and a missing revision.
func TestRevisions(t *testing.T) {
	srv := hubtest.New(t)
	files := tinyGPT2(t)
	repo := hubtest.NewRepo(files)
	old := map[string][]byte{}
	for k, v := range files {
		old[k] = v
	}
	old["config.json"] = append(bytes.TrimRight(files["config.json"], "}\n"), []byte(",\n  \"old\": true\n}\n")...)
	repo.Refs["v1.0"] = repo.Add("v1.0", old)
	srv.AddRepo("org/tiny-gpt2", repo)
	c := newClient(t, srv)

	dir, err := resolveID(t, c, "org/tiny-gpt2@v1.0", ModelFiles)
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, dir, old)
	if ref, _ := os.ReadFile(filepath.Join(c.CacheDir, "models--org--tiny-gpt2", "refs", "v1.0")); string(ref) != repo.Refs["v1.0"] {
		t.Fatalf("refs/v1.0 = %q, want %q", ref, repo.Refs["v1.0"])
	}
	main, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, main, files)
	// The weights are one blob shared by both snapshots.
	blobs, _ := os.ReadDir(filepath.Join(c.CacheDir, "models--org--tiny-gpt2", "blobs"))
	if len(blobs) != 5 {
		t.Errorf("%d blobs, want 5 (two configs, generation config, vocab, one weights file)", len(blobs))
	}

	commit := repo.Refs["v1.0"]
	srv.Requests()
	byHash, err := resolveID(t, c, "org/tiny-gpt2@"+commit, ModelFiles)
	if err != nil || byHash != dir {
		t.Fatalf("by commit: %s %v, want %s", byHash, err, dir)
	}
	if reqs := srv.Requests(); len(reqs) != 0 {
		t.Fatalf("a cached commit made %d requests", len(reqs))
	}
	if _, err := os.Stat(filepath.Join(c.CacheDir, "models--org--tiny-gpt2", "refs", commit)); err == nil {
		t.Error("wrote a ref for a commit hash")
	}

	_, err = resolveID(t, c, "org/tiny-gpt2@nope", ModelFiles)
	if !errors.Is(err, ErrRevisionNotFound) || !strings.Contains(err.Error(), "revision not found: org/tiny-gpt2@nope") {
		t.Fatalf("missing revision: %v", err)
	}
}

// TestErrors: each hub answer gets its own clear message.
func TestErrors(t *testing.T) {
	srv := hubtest.New(t)
	files := tinyGPT2(t)
	srv.Token = "hf_good"
	private := hubtest.NewRepo(files)
	private.Private = true
	gated := hubtest.NewRepo(files)
	gated.Gated = true
	noWeights := hubtest.NewRepo(map[string][]byte{"config.json": files["config.json"], "vocab.txt": files["vocab.txt"]})
	noConfig := hubtest.NewRepo(map[string][]byte{"model.safetensors": files["model.safetensors"]})
	srv.AddRepo("org/private", private)
	srv.AddRepo("org/gated", gated)
	srv.AddRepo("org/no-weights", noWeights)
	srv.AddRepo("org/no-config", noConfig)
	cases := []struct {
		id, token string
		files     Files
		is        error
		want      string
	}{
		{id: "org/missing", is: ErrRepoNotFound, want: "model not found: org/missing"},
		{id: "missing-root-level", is: ErrRepoNotFound, want: "model not found: missing-root-level"},
		{id: "org/private", is: ErrAccess, want: "set HF_TOKEN"},
		{id: "org/private", token: "hf_bad", is: ErrAccess, want: "was refused; set HF_TOKEN"},
		{id: "org/gated", is: ErrAccess, want: "org/gated is gated (403 Forbidden): accept its conditions"},
		{id: "org/no-weights", is: ErrEntryNotFound, want: "org/no-weights has no weights (looked for model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json"},
		{id: "org/no-config", is: ErrEntryNotFound, want: "org/no-config has no config.json"},
		{id: "org/no-config", files: TokenizerFiles, is: ErrEntryNotFound, want: "org/no-config has no tokenizer files"},
	}
	for _, tc := range cases {
		t.Run(tc.id+"/"+tc.token+string(tc.files), func(t *testing.T) {
			c := newClient(t, srv)
			c.Token = tc.token
			files := tc.files
			if files == "" {
				files = ModelFiles
			}
			_, err := resolveID(t, c, tc.id, files)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %v containing %q", err, tc.is, tc.want)
			}
		})
	}
	// With the token both work, and the private repository is then
	// readable offline too.
	c := newClient(t, srv)
	c.Token = "hf_good"
	for _, id := range []string{"org/private", "org/gated"} {
		if _, err := resolveID(t, c, id, ModelFiles); err != nil {
			t.Fatalf("%s with the token: %v", id, err)
		}
	}
	c.Token = ""
	if _, err := resolveID(t, c, "org/private", ModelFiles); err != nil {
		t.Fatalf("cached private repository after a 401: %v (huggingface_hub serves the cached copy)", err)
	}
}

// TestTruncatedTransfer: a connection cut mid-file leaves no blob and no
// snapshot entry; the next try resumes with a Range request.
func TestTruncatedTransfer(t *testing.T) {
	srv := hubtest.New(t)
	files := tinyGPT2(t)
	srv.AddRepo("org/tiny-gpt2", hubtest.NewRepo(files))
	c := newClient(t, srv)
	weights := files["model.safetensors"]
	blob := filepath.Join(c.CacheDir, "models--org--tiny-gpt2", "blobs", hubtest.SHA256(weights))

	srv.SetFaults(hubtest.Faults{TruncateAt: 50000, TruncateTimes: -1})
	_, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
	if err == nil || !strings.Contains(err.Error(), "gave up after 5 tries without progress") {
		t.Fatalf("cut transfer: %v", err)
	}
	if _, err := os.Stat(blob); err == nil {
		t.Fatal("a partial blob was stored")
	}
	commit := hubtest.NewRepo(files).Refs["main"]
	if _, err := os.Lstat(filepath.Join(c.CacheDir, "models--org--tiny-gpt2", "snapshots", commit, "model.safetensors")); err == nil {
		t.Fatal("the snapshot links a partial file")
	}
	if st, err := os.Stat(blob + ".incomplete"); err != nil || st.Size() != 50000 {
		t.Fatalf(".incomplete: %v, %v; want the 50000 bytes received", st, err)
	}

	srv.SetFaults(hubtest.Faults{})
	srv.Requests()
	dir, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, dir, files)
	noPartialFiles(t, c, "org/tiny-gpt2")
	resumed := false
	for _, r := range srv.Requests() {
		if r.Method == "GET" && r.Range == "bytes=50000-" {
			resumed = true
		}
	}
	if !resumed {
		t.Fatal("no Range: bytes=50000- request: the download restarted instead of resuming")
	}
}

// TestTransferFaults: a cut that heals within the call resumes on its own;
// a server ignoring Range restarts cleanly; corrupted bytes fail the hash.
func TestTransferFaults(t *testing.T) {
	cases := []struct {
		name    string
		faults  hubtest.Faults
		partial int // bytes of a stale .incomplete to start from
		wantErr error
	}{
		{name: "cut once", faults: hubtest.Faults{TruncateAt: 70000, TruncateTimes: 1}},
		{name: "range ignored", faults: hubtest.Faults{IgnoreRange: true}, partial: 1000},
		{name: "stale partial longer than the file", partial: 200000},
		{name: "corrupted", faults: hubtest.Faults{Corrupt: true}, wantErr: ErrChecksum},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := hubtest.New(t)
			files := tinyGPT2(t)
			srv.AddRepo("org/tiny-gpt2", hubtest.NewRepo(files))
			c := newClient(t, srv)
			blob := filepath.Join(c.CacheDir, "models--org--tiny-gpt2", "blobs", hubtest.SHA256(files["model.safetensors"]))
			if tc.partial > 0 {
				writeFile(t, blob+".incomplete", strings.Repeat("x", tc.partial))
			}
			srv.SetFaults(tc.faults)
			dir, err := resolveID(t, c, "org/tiny-gpt2", ModelFiles)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				for _, p := range []string{blob, blob + ".incomplete"} {
					if _, err := os.Stat(p); err == nil {
						t.Errorf("%s left after a bad download", p)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkSnapshot(t, dir, files)
			noPartialFiles(t, c, "org/tiny-gpt2")
		})
	}
}

func TestSharded(t *testing.T) {
	srv := hubtest.New(t)
	files := shardedGPT2(t)
	srv.AddRepo("tiny-sharded", hubtest.NewRepo(files))
	c := newClient(t, srv)
	dir, err := resolveID(t, c, "tiny-sharded", ModelFiles)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(c.CacheDir, "models--tiny-sharded"); !strings.HasPrefix(dir, want) {
		t.Fatalf("root-level repo in %s, want under %s", dir, want)
	}
	checkSnapshot(t, dir, files)
}

// TestRenamedRepo follows the hub's relative redirect with the token kept.
func TestRenamedRepo(t *testing.T) {
	srv := hubtest.New(t)
	files := tinyGPT2(t)
	srv.AddRepo("new-org/tiny-gpt2", hubtest.NewRepo(files))
	srv.AddRepo("old-org/tiny-gpt2", &hubtest.Repo{MovedTo: "new-org/tiny-gpt2"})
	c := newClient(t, srv)
	c.Token = "hf_tok"
	dir, err := resolveID(t, c, "old-org/tiny-gpt2", ModelFiles)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dir, "models--old-org--tiny-gpt2") {
		t.Fatalf("snapshot %s: the cache keeps the name asked for, as huggingface_hub does", dir)
	}
	checkSnapshot(t, dir, files)
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/new-org/") && r.Auth != "Bearer hf_tok" {
			t.Errorf("token dropped on the relative redirect: %+v", r)
		}
	}
}

func TestTokenizerFiles(t *testing.T) {
	srv := hubtest.New(t)
	files := tinyGPT2(t)
	srv.AddRepo("org/tiny-gpt2", hubtest.NewRepo(files))
	c := newClient(t, srv)
	dir, err := resolveID(t, c, "org/tiny-gpt2", TokenizerFiles)
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, dir, map[string][]byte{"vocab.txt": files["vocab.txt"], "config.json": files["config.json"]})
	if _, err := (&Client{}).Snapshot(context.Background(), ID{Repo: "a/b"}, Files("weights")); err == nil || !strings.Contains(err.Error(), `files "weights"`) {
		t.Fatalf("bad Files value: %v", err)
	}
}

// TestLocalWins: an existing path is returned untouched, even one spelled
// like a hub id; anything else must be a valid id.
func TestLocalWins(t *testing.T) {
	srv := hubtest.New(t)
	srv.AddRepo("org/tiny-gpt2", hubtest.NewRepo(tinyGPT2(t)))
	c := newClient(t, srv)
	t.Chdir(t.TempDir())
	if err := os.MkdirAll("org/tiny-gpt2", 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := c.Resolve(context.Background(), "org/tiny-gpt2", ModelFiles)
	if err != nil || got != "org/tiny-gpt2" {
		t.Fatalf("Resolve = %q, %v; want the local directory", got, err)
	}
	if reqs := srv.Requests(); len(reqs) != 0 {
		t.Fatalf("a local directory made %d requests", len(reqs))
	}
	_, err = c.Resolve(context.Background(), "runs/a/missing", ModelFiles)
	if err == nil || !strings.Contains(err.Error(), "runs/a/missing: no such file or directory, and not a hub id") {
		t.Fatalf("missing path: %v", err)
	}
	_, err = c.Resolve(context.Background(), "runs/missing", ModelFiles)
	if !errors.Is(err, ErrRepoNotFound) {
		t.Fatalf("a missing path spelled like an id goes to the hub: %v", err)
	}
}
