package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/hub/hubtest"
	"github.com/gotrl/gotrl/pkg/rlhf"
)

// fakeHub serves testdata/models/gpt2 with a vocab.txt as org/tiny-gpt2
// (main, and an older commit tagged v1) and points huggingface_hub's
// environment at it with an empty cache.
func fakeHub(t *testing.T) (*hubtest.Server, *hubtest.Repo, string) {
	t.Helper()
	files := map[string][]byte{"vocab.txt": []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n基\n于\n图\n")}
	for _, n := range []string{"config.json", "generation_config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/models/gpt2", n))
		if err != nil {
			t.Skipf("fixture missing: %v", err)
		}
		files[n] = b
	}
	srv := hubtest.New(t)
	repo := hubtest.NewRepo(files)
	old := map[string][]byte{"config.json": files["config.json"], "model.safetensors": files["model.safetensors"], "vocab.txt": []byte("[PAD]\n[UNK]\n")}
	repo.Refs["v1"] = repo.Add("v1", old)
	srv.AddRepo("org/tiny-gpt2", repo)
	cache := t.TempDir()
	for k, v := range map[string]string{"HF_ENDPOINT": srv.URL, "HF_HUB_CACHE": cache, "HF_HUB_OFFLINE": "", "HF_TOKEN": "", "HF_HOME": t.TempDir()} {
		t.Setenv(k, v)
	}
	return srv, repo, cache
}

func runGotrl(args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestDownloadCommand(t *testing.T) {
	_, repo, cache := fakeHub(t)
	other := t.TempDir()
	snap := func(dir, commit string) string {
		return filepath.Join(dir, "models--org--tiny-gpt2", "snapshots", commit) + "\n"
	}
	cases := []struct {
		args    []string
		want    string // stdout
		wantErr string
	}{
		{args: []string{"download", "org/tiny-gpt2"}, want: snap(cache, repo.Refs["main"])},
		{args: []string{"download", "org/tiny-gpt2@v1"}, want: snap(cache, repo.Refs["v1"])},
		{args: []string{"download", "org/tiny-gpt2", "--revision", "v1", "--cache-dir", other}, want: snap(other, repo.Refs["v1"])},
		{args: []string{"download", "org/tiny-gpt2", "--tokenizer-only", "--cache-dir", other}, want: snap(other, repo.Refs["main"])},
		{args: []string{"download", "org/missing"}, wantErr: "model not found: org/missing"},
		{args: []string{"download", "org/tiny-gpt2@v1", "--revision", "v2"}, wantErr: "revision given twice"},
		{args: []string{"download", "org/tiny-gpt2@v9"}, wantErr: "revision not found: org/tiny-gpt2@v9"},
		{args: []string{"download", "./some/dir"}, wantErr: "hub id"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			out, _, err := runGotrl(tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || out != tc.want {
				t.Fatalf("stdout %q, %v; want %q", out, err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(strings.TrimSpace(out), "vocab.txt")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestGenerateHubID: `gotrl generate --model org/name` downloads the model
// and its tokenizer and generates; again offline with the server stopped.
func TestGenerateHubID(t *testing.T) {
	srv, _, _ := fakeHub(t)
	args := []string{"generate", "--model", "org/tiny-gpt2", "--prompt", "基于图", "--max-new-tokens", "3", "--threads", "1"}
	out, progress, err := runGotrl(args...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "基于图 ⟶") {
		t.Fatalf("output %q", out)
	}
	if !strings.Contains(progress, "download model.safetensors") {
		t.Fatalf("no download progress on stderr: %q", progress)
	}
	srv.Close()
	t.Setenv("HF_HUB_OFFLINE", "1")
	again, _, err := runGotrl(args...)
	if err != nil || again != out {
		t.Fatalf("offline: %q, %v; want %q", again, err, out)
	}
	_, _, err = runGotrl("generate", "--model", "org/never-fetched", "--prompt", "a")
	if err == nil || !strings.Contains(err.Error(), "--model-name-or-path: org/never-fetched is not a local path, and as a hub id: org/never-fetched: not in the cache") {
		t.Fatalf("offline, uncached: %v", err)
	}
}

// TestTrainFlagsResolve: --init and --tokenizer given in a config file or
// on the command line resolve through the hub in the shared train flags.
func TestTrainFlagsResolve(t *testing.T) {
	_, repo, cache := fakeHub(t)
	file := filepath.Join(t.TempDir(), "sft.yaml")
	if err := os.WriteFile(file, []byte("model_name_or_path: org/tiny-gpt2@v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	snap := func(commit string) string { return filepath.Join(cache, "models--org--tiny-gpt2", "snapshots", commit) }
	cases := []struct {
		args          []string
		init, tokener string
	}{
		{args: []string{"--config", file, "-o", "x"}, init: snap(repo.Refs["v1"])},
		{args: []string{"--init", "org/tiny-gpt2", "--tokenizer", "org/tiny-gpt2@v1", "-o", "x"}, init: snap(repo.Refs["main"]), tokener: snap(repo.Refs["v1"])},
	}
	for _, tc := range cases {
		cfg, cmd := sftStage(func(*rlhf.SFTConfig) {})
		cmd.SetArgs(tc.args)
		global.device = "cpu"
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		if cfg.Model.Init != tc.init || cfg.Data.Tokenizer != tc.tokener {
			t.Errorf("%v: init %q tokenizer %q, want %q %q", tc.args, cfg.Model.Init, cfg.Data.Tokenizer, tc.init, tc.tokener)
		}
	}
}

// TestGeneratePythonCache: a model transformers fetched (the cache that
// scripts/fixtures/make_hub_cache.py committed) serves `--model org/name`
// offline, tokenizer included, with no download.
func TestGeneratePythonCache(t *testing.T) {
	cache := hubtest.CopyTree(t, "../../testdata/hub/cache")
	t.Setenv("HF_HUB_CACHE", cache)
	t.Setenv("HF_HUB_OFFLINE", "1")
	for _, id := range []string{"gotrl-test/tiny-gpt2-chinese", "gotrl-test/tiny-gpt2-chinese@v1.0", "tiny-gpt2-sharded"} {
		out, progress, err := runGotrl("generate", "--model", id, "--prompt", "今天", "--max-new-tokens", "3", "--threads", "1")
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if !strings.HasPrefix(out, "今天 ⟶ ") || progress != "" {
			t.Fatalf("%s: output %q, stderr %q", id, out, progress)
		}
	}
}
