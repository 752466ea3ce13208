package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/gotrl/gotrl/pkg/hub/hubtest"
)

type sftRow struct {
	Prompt   string `parquet:"prompt"`
	Response string `parquet:"response"`
}

// sftParquet is a small parquet file of prompt/response rows.
func sftParquet(t *testing.T, n, from int) []byte {
	t.Helper()
	var rows []sftRow
	for i := range n {
		rows = append(rows, sftRow{fmt.Sprintf("中国%d", from+i), fmt.Sprintf("的%d", from+i)})
	}
	var b bytes.Buffer
	if err := parquet.Write(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sftArrow is the same rows as an Arrow IPC stream, as datasets writes
// its .arrow files.
func sftArrow(t *testing.T, n int) []byte {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "prompt", Type: arrow.BinaryTypes.String}, {Name: "response", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("中国%d", i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("的%d", i))
	}
	rec := b.NewRecord()
	defer rec.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// datasetEnv serves org/tiny-sft (a train split in two shards and a test
// split, as push_to_hub names them) and org/train-only, and points
// huggingface_hub's environment at the server with an empty cache.
func datasetEnv(t *testing.T) (*hubtest.Server, string) {
	t.Helper()
	srv := hubtest.New(t)
	srv.AddDataset("org/tiny-sft", hubtest.NewRepo(map[string][]byte{
		"README.md":                         []byte("---\nlicense: mit\n---\n"),
		"data/train-00000-of-00002.parquet": sftParquet(t, 6, 0),
		"data/train-00001-of-00002.parquet": sftParquet(t, 6, 6),
		"data/test-00000-of-00001.parquet":  sftParquet(t, 4, 12),
	}))
	var lines []string
	for _, w := range []string{"中国", "一是", "在不", "了有"} {
		lines = append(lines, fmt.Sprintf(`{"prompt": %q, "response": "的"}`, w))
	}
	srv.AddDataset("org/train-only", hubtest.NewRepo(map[string][]byte{"sft.jsonl": []byte(strings.Join(lines, "\n") + "\n")}))
	srv.AddDataset("org/arrow-sft", hubtest.NewRepo(map[string][]byte{"data/train/data-00000-of-00001.arrow": sftArrow(t, 6)}))
	cache := t.TempDir()
	for k, v := range map[string]string{"HF_ENDPOINT": srv.URL, "HF_HUB_CACHE": cache, "HF_HUB_OFFLINE": "", "HF_TOKEN": "", "HF_HOME": t.TempDir()} {
		t.Setenv(k, v)
	}
	return srv, cache
}

// TestSFTDatasetName: `gotrl sft --dataset-name org/name` trains on the
// train split and evaluates on the test split fetched from the hub, and
// again offline from the cache; the run's config.yaml names the files.
func TestSFTDatasetName(t *testing.T) {
	policy := ppoFixture(t)[2]
	srv, cache := datasetEnv(t)
	run := func(extra ...string) (string, string, error) {
		out := filepath.Join(t.TempDir(), "run")
		args := append([]string{"sft", "--model-name-or-path", policy, "--output-dir", out, "--max-steps", "2", "--eval-steps", "1",
			"--max-length", "16", "--threads", "1"}, extra...)
		_, stderr, err := runGotrl(args...)
		return out, stderr, err
	}
	out, stderr, err := run("--dataset-name", "org/tiny-sft")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "eval step 1") || !strings.Contains(stderr, "download data/train-00001-of-00002.parquet") {
		t.Fatalf("no evaluation or no download: %s", stderr)
	}
	saved, err := os.ReadFile(filepath.Join(out, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(cache, "datasets--org--tiny-sft", "snapshots")
	for _, f := range []string{"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet", "data/test-00000-of-00001.parquet"} {
		if !strings.Contains(string(saved), snap) || !strings.Contains(string(saved), f) {
			t.Errorf("config.yaml does not name %s in %s:\n%s", f, snap, saved)
		}
	}
	if strings.Contains(string(saved), "dataset_name: org") {
		t.Errorf("config.yaml keeps the id beside the files:\n%s", saved)
	}
	if _, stderr, err := runGotrl("sft", "--resume", out, "--max-steps", "3", "--threads", "1"); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}

	srv.Close()
	t.Setenv("HF_HUB_OFFLINE", "1")
	if _, stderr, err := run("--dataset-name", "org/tiny-sft"); err != nil || !strings.Contains(stderr, "eval step 1") {
		t.Fatalf("offline: %v\n%s", err, stderr)
	}
}

func TestDatasetNameFlags(t *testing.T) {
	policy := ppoFixture(t)[2]
	datasetEnv(t)
	data := filepath.Join(t.TempDir(), "sft.jsonl")
	if err := os.WriteFile(data, []byte(`{"prompt": "中国", "response": "的"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args       []string
		wantErr    string
		wantStderr string
	}{
		{args: []string{"--dataset-name", "org/train-only"}, wantStderr: "dataset org/train-only has no test split (its splits: train): no evaluation set"},
		{args: []string{"--dataset-name", "org/arrow-sft"}, wantStderr: "dataset org/arrow-sft has no test split (its splits: train): no evaluation set"},
		{args: []string{"--dataset-name", "org/train-only", "--dataset-test-split", "test"},
			wantErr: `--dataset-test-split: org/train-only: split not found: no split "test"; the splits are train`},
		{args: []string{"--dataset-name", "org/tiny-sft", "--dataset-train-split", "validation"},
			wantErr: `--dataset-train-split: org/tiny-sft: split not found: no split "validation"; the splits are train, test`},
		{args: []string{"--dataset-name", "org/tiny-sft", "--train-file", data}, wantErr: "--train-file " + data + " and --dataset-name org/tiny-sft both name the training data"},
		{args: []string{"--dataset-config", "x", "--train-file", data}, wantErr: "--dataset-config x: give the data set with --dataset-name"},
		{args: []string{"--dataset-name", "org/nope"}, wantErr: "--dataset-name: dataset org/nope: dataset not found: org/nope"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"sft", "--model-name-or-path", policy, "--output-dir", filepath.Join(t.TempDir(), "run"),
				"--max-steps", "1", "--max-length", "16", "--threads", "1"}, tc.args...)
			_, stderr, err := runGotrl(args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(stderr, tc.wantStderr) {
				t.Fatalf("%v; stderr %q, want %q", err, stderr, tc.wantStderr)
			}
		})
	}
}

// TestPPODatasetName: ppo reads its prompts from a dataset's train split
// (TRL's ppo.py: load_dataset(query_dataset, split="train")).
func TestPPODatasetName(t *testing.T) {
	args := ppoFixture(t)
	datasetEnv(t)
	for i, a := range args {
		if a == "--train-file" {
			args = append(args[:i:i], args[i+2:]...)
			break
		}
	}
	args = append(args, "--dataset-name", "org/train-only", "--max-steps", "1", "--output-dir", filepath.Join(t.TempDir(), "run"))
	if _, stderr, err := runGotrl(args...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
}
