package hub

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/hub/hubtest"
)

// TestDatasetLayout: which files make which split, as datasets 3.x's
// load_dataset decides for a repository without a loading script.
func TestDatasetLayout(t *testing.T) {
	cases := []struct {
		name    string
		files   []string
		card    string
		config  string
		want    map[string][]string // split → files
		order   []string            // splits in datasets' order
		wantErr string
	}{
		{name: "one file is train", files: []string{"README.md", "my_data.jsonl"},
			want: map[string][]string{"train": {"my_data.jsonl"}}, order: []string{"train"}},
		{name: "split in file name", files: []string{".gitattributes", "test.csv", "train.csv"},
			want: map[string][]string{"train": {"train.csv"}, "test": {"test.csv"}}, order: []string{"train", "test"}},
		{name: "keywords and separators", files: []string{"data/dev.jsonl", "data/my-training_1.jsonl", "data/training_0.jsonl", "data/eval.jsonl"},
			want:  map[string][]string{"train": {"data/training_0.jsonl", "data/my-training_1.jsonl"}, "validation": {"data/dev.jsonl"}, "test": {"data/eval.jsonl"}},
			order: []string{"train", "validation", "test"}},
		{name: "a keyword inside a word is not a split", files: []string{"contest.jsonl", "latest.jsonl"},
			want: map[string][]string{"train": {"contest.jsonl", "latest.jsonl"}}, order: []string{"train"}},
		{name: "split in directory name", files: []string{"data/test/b.parquet", "data/train/a.parquet", "data/train/c.parquet"},
			want: map[string][]string{"train": {"data/train/a.parquet", "data/train/c.parquet"}, "test": {"data/test/b.parquet"}}, order: []string{"train", "test"}},
		{name: "sharded, other splits after the default ones", files: []string{"data/random-00000-of-00001.parquet", "data/test-00000-of-00001.parquet", "data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"},
			want:  map[string][]string{"train": {"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"}, "test": {"data/test-00000-of-00001.parquet"}, "random": {"data/random-00000-of-00001.parquet"}},
			order: []string{"train", "test", "random"}},
		{name: "hidden and special files are not data", files: []string{".hidden/train.jsonl", "__pycache__/x.jsonl", "data.jsonl", "dataset_info.json"},
			want: map[string][]string{"train": {"data.jsonl"}}, order: []string{"train"}},
		{name: "arrow files", files: []string{"data/test/data-00000-of-00001.arrow", "data/train/data-00000-of-00002.arrow", "data/train/data-00001-of-00002.arrow"},
			want:  map[string][]string{"train": {"data/train/data-00000-of-00002.arrow", "data/train/data-00001-of-00002.arrow"}, "test": {"data/test/data-00000-of-00001.arrow"}},
			order: []string{"train", "test"}},
		{name: "compressed", files: []string{"train.jsonl.gz"},
			want: map[string][]string{"train": {"train.jsonl.gz"}}, order: []string{"train"}},
		{name: "other extensions of the split are left out", files: []string{"train.jsonl", "train.md", "train_2.jsonl"},
			want: map[string][]string{"train": {"train.jsonl", "train_2.jsonl"}}, order: []string{"train"}},
		{name: "card configs win over the patterns", files: []string{"README.md", "all.jsonl", "test.jsonl", "train.jsonl"},
			card: "---\nconfigs:\n- config_name: default\n  data_files: all.jsonl\n---\n",
			want: map[string][]string{"train": {"all.jsonl"}}, order: []string{"train"}},
		{name: "config with data_dir and no data_files", files: []string{"README.md", "en/test.csv", "en/train.csv", "zh/train.csv"},
			card: "---\nconfigs:\n- config_name: en\n  data_dir: en\n- config_name: zh\n  data_dir: zh\n  default: true\n---\n",
			want: map[string][]string{"train": {"zh/train.csv"}}, order: []string{"train"}},
		{name: "config with data_dir, by name", files: []string{"README.md", "en/test.csv", "en/train.csv", "zh/train.csv"}, config: "en",
			card: "---\nconfigs:\n- config_name: en\n  data_dir: ./en/\n- config_name: zh\n  data_dir: zh\n  default: true\n---\n",
			want: map[string][]string{"train": {"en/train.csv"}, "test": {"en/test.csv"}}, order: []string{"train", "test"}},
		{name: "several configs, no default", files: []string{"README.md", "a.csv", "b.csv"},
			card:    "---\nconfigs:\n- config_name: a\n  data_files: a.csv\n- config_name: b\n  data_files: b.csv\n---\n",
			wantErr: "several configs and none is the default: pick one of a, b"},
		{name: "unknown config", files: []string{"README.md", "a.csv"}, config: "x",
			card:    "---\nconfigs:\n- config_name: a\n  data_files: a.csv\n---\n",
			wantErr: `no config "x"; the configs are a`},
		{name: "config asked of a repository without configs", files: []string{"a.csv"}, config: "x",
			wantErr: `no config "x": the dataset card names no configs`},
		{name: "a named file must exist", files: []string{"README.md", "a.csv"},
			card:    "---\nconfigs:\n- config_name: a\n  data_files: [a.csv, b.csv]\n---\n",
			wantErr: "split train: no data file b.csv"},
		{name: "bad data_files", files: []string{"README.md", "a.csv"},
			card:    "---\nconfigs:\n- config_name: a\n  data_files:\n  - split: train\n    file: a.csv\n---\n",
			wantErr: "config a: data_files: split train: want a path"},
		{name: "images are not read", files: []string{"a.png", "b.png", "labels.jsonl"},
			wantErr: "its data files are imagefolder (a.png, b.png, labels.jsonl): gotrl reads parquet"},
		{name: "mixed formats", files: []string{"test.csv", "train.jsonl"},
			wantErr: "split train is json and split test is csv"},
		{name: "no data files", files: []string{".gitattributes", "README.md"},
			wantErr: "no data files in the repository"},
		{name: "loading script", files: []string{"README.md", "tiny.py", "train.jsonl"},
			wantErr: "it has a loading script (tiny.py): gotrl runs no dataset scripts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := readLayout(tc.files, "tiny", tc.config, func(name string) ([]byte, error) {
				if name != datasetCard {
					return nil, os.ErrNotExist
				}
				return []byte(tc.card), nil
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(l.files.files, tc.want) || !reflect.DeepEqual(l.Splits, tc.order) {
				t.Fatalf("splits %v %v, want %v %v", l.Splits, l.files.files, tc.order, tc.want)
			}
		})
	}
}

// datasetHub serves the dataset repositories the tests below read.
func datasetHub(t *testing.T) (*hubtest.Server, map[string]*hubtest.Repo) {
	t.Helper()
	srv := hubtest.New(t)
	card := "---\nlicense: mit\nconfigs:\n" +
		"- config_name: sft\n  default: true\n  data_files:\n  - split: train\n    path: sft/train-*.jsonl\n  - split: test\n    path: sft/test.jsonl\n" +
		"- config_name: pairs\n  data_files:\n  - split: train\n    path:\n    - pairs/b.jsonl\n    - pairs/a.jsonl\n" +
		"---\n# tiny\n"
	repos := map[string]*hubtest.Repo{
		"org/configs": hubtest.NewRepo(map[string][]byte{
			"README.md": []byte(card), "sft/train-0.jsonl": []byte("{\"prompt\":\"a\"}\n"), "sft/train-1.jsonl": []byte("{\"prompt\":\"b\"}\n"),
			"sft/test.jsonl": []byte("{\"prompt\":\"c\"}\n"), "pairs/a.jsonl": []byte("{}\n"), "pairs/b.jsonl": []byte("{}\n"),
			"train.jsonl": []byte("{\"not\":\"this\"}\n"),
		}),
		"org/sharded": hubtest.NewRepo(map[string][]byte{
			".gitattributes": []byte("*.parquet filter=lfs diff=lfs merge=lfs -text\n"), "README.md": []byte("# no YAML\n"),
			"data/train-00000-of-00002.parquet": []byte("PAR1 train 0"), "data/train-00001-of-00002.parquet": []byte("PAR1 train 1"),
			"data/test-00000-of-00001.parquet": []byte("PAR1 test"), "data/validation-00000-of-00001.parquet": []byte("PAR1 validation"),
		}),
		"org/one":    hubtest.NewRepo(map[string][]byte{"prompts.jsonl": []byte("{\"prompt\":\"x\"}\n")}),
		"org/script": hubtest.NewRepo(map[string][]byte{"script.py": []byte("import datasets\n"), "README.md": []byte("# card\n")}),
	}
	repos["org/one"].Refs["v1"] = repos["org/one"].Add("v1", map[string][]byte{"old.csv": []byte("prompt\nold\n")})
	for id, r := range repos {
		srv.AddDataset(id, r)
	}
	return srv, repos
}

func TestDatasetFromHub(t *testing.T) {
	srv, repos := datasetHub(t)
	c := newClient(t, srv)
	ctx := context.Background()
	snap := func(id, rev string) string {
		return filepath.Join(c.CacheDir, "datasets--"+strings.ReplaceAll(id, "/", "--"), "snapshots", repos[id].Refs[rev])
	}
	cases := []struct {
		id, config string
		splits     []string
		want       map[string][]string // split → files in the snapshot
		all        []string
		dir        string // snapshot of this ref
	}{
		{id: "org/configs", splits: []string{"train", "test"}, dir: "main", all: []string{"train", "test"},
			want: map[string][]string{"train": {"sft/train-0.jsonl", "sft/train-1.jsonl"}, "test": {"sft/test.jsonl"}}},
		{id: "org/configs", config: "pairs", splits: []string{"train", "test"}, dir: "main", all: []string{"train"},
			want: map[string][]string{"train": {"pairs/b.jsonl", "pairs/a.jsonl"}}},
		{id: "org/sharded", splits: []string{"train", "test"}, dir: "main", all: []string{"train", "validation", "test"},
			want: map[string][]string{"train": {"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"}, "test": {"data/test-00000-of-00001.parquet"}}},
		{id: "org/one", splits: []string{"train", "test"}, dir: "main", all: []string{"train"},
			want: map[string][]string{"train": {"prompts.jsonl"}}},
		{id: "org/one", splits: []string{"train", "train"}, dir: "main", all: []string{"train"},
			want: map[string][]string{"train": {"prompts.jsonl"}}},
		{id: "org/one@v1", splits: []string{"train"}, dir: "v1", all: []string{"train"},
			want: map[string][]string{"train": {"old.csv"}}},
	}
	for _, tc := range cases {
		t.Run(tc.id+" "+tc.config, func(t *testing.T) {
			d, err := c.Dataset(ctx, tc.id, tc.config, tc.splits...)
			if err != nil {
				t.Fatal(err)
			}
			repo, _, _ := strings.Cut(tc.id, "@")
			dir := snap(repo, tc.dir)
			want := map[string][]string{}
			for split, fs := range tc.want {
				for _, f := range fs {
					want[split] = append(want[split], filepath.Join(dir, f))
				}
			}
			if d.Dir != dir || !reflect.DeepEqual(d.Files, want) || !reflect.DeepEqual(d.Splits, tc.all) || d.Cached {
				t.Fatalf("got %+v\nwant dir %s files %v splits %v", d, dir, want, tc.all)
			}
			for _, fs := range d.Files {
				for _, f := range fs {
					if _, err := os.Stat(f); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
	// The layout of huggingface_hub: a datasets-- folder, refs, blobs by
	// ETag, LFS files (parquet) fetched from the CDN by sha256.
	root := filepath.Join(c.CacheDir, "datasets--org--sharded")
	if ref, _ := os.ReadFile(filepath.Join(root, "refs", "main")); string(ref) != repos["org/sharded"].Refs["main"] {
		t.Fatalf("refs/main = %q", ref)
	}
	link, err := os.Readlink(filepath.Join(snap("org/sharded", "main"), "data", "test-00000-of-00001.parquet"))
	if err != nil || link != "../../../blobs/"+hubtest.SHA256([]byte("PAR1 test")) {
		t.Fatalf("link %q, %v", link, err)
	}
	if _, err := os.Stat(filepath.Join(snap("org/sharded", "main"), "data", "validation-00000-of-00001.parquet")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a split not asked for was fetched: %v", err)
	}
}

// TestDatasetRequests: the URLs are those of huggingface_hub for
// repo_type="dataset", and a second run costs the info request only.
func TestDatasetRequests(t *testing.T) {
	srv, repos := datasetHub(t)
	c := newClient(t, srv)
	ctx := context.Background()
	if _, err := c.Dataset(ctx, "org/one", "", "train"); err != nil {
		t.Fatal(err)
	}
	commit := repos["org/one"].Refs["main"]
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{"GET /api/datasets/org/one/revision/main", "HEAD /datasets/org/one/resolve/" + commit + "/prompts.jsonl", "GET /datasets/org/one/resolve/" + commit + "/prompts.jsonl"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %q\nwant %q", got, want)
	}
	if _, err := c.Dataset(ctx, "org/one", "", "train"); err != nil {
		t.Fatal(err)
	}
	if reqs := srv.Requests(); len(reqs) != 1 {
		t.Fatalf("warm cache: %d requests %v, want the info request only", len(reqs), reqs)
	}
}

func TestDatasetErrors(t *testing.T) {
	srv, _ := datasetHub(t)
	c := newClient(t, srv)
	ctx := context.Background()
	d, err := c.Dataset(ctx, "org/one", "", "train", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Split("test"); !errors.Is(err, ErrSplitNotFound) || !strings.Contains(err.Error(), `no split "test"; the splits are train`) {
		t.Fatalf("missing split: %v", err)
	}
	cases := []struct {
		id   string
		is   error
		want string
	}{
		{"org/missing", ErrRepoNotFound, "dataset org/missing: dataset not found: org/missing"},
		{"org/one@v9", ErrRevisionNotFound, "revision not found: org/one@v9"},
		{"org/script", nil, "it has a loading script (script.py)"},
		{"a/b/c", nil, "not a hub id"},
	}
	for _, tc := range cases {
		_, err := c.Dataset(ctx, tc.id, "", "train")
		if err == nil || !strings.Contains(err.Error(), tc.want) || tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v, want %q", tc.id, err, tc.want)
		}
	}
}

// TestDatasetOffline: HF_HUB_OFFLINE serves what the cache holds (the
// snapshot refs/main names) without a request; the hub unreachable too.
func TestDatasetOffline(t *testing.T) {
	srv, _ := datasetHub(t)
	c := newClient(t, srv)
	ctx := context.Background()
	online, err := c.Dataset(ctx, "org/configs", "", "train", "test")
	if err != nil {
		t.Fatal(err)
	}
	srv.Requests()
	for _, offline := range []bool{true, false} {
		c.Offline = offline
		if !offline {
			srv.Close()
		}
		d, err := c.Dataset(ctx, "org/configs", "", "train", "test")
		if err != nil {
			t.Fatalf("offline %v: %v", offline, err)
		}
		if !d.Cached || !reflect.DeepEqual(d.Files, online.Files) || d.Config != "sft" {
			t.Fatalf("offline %v: %+v, want the files of %+v", offline, d, online)
		}
		if offline && len(srv.Requests()) != 0 {
			t.Fatal("offline mode sent requests")
		}
	}
	c.Offline = true
	if _, err := c.Dataset(ctx, "org/sharded", "", "train"); !errors.Is(err, ErrNotCached) {
		t.Fatalf("never fetched, offline: %v", err)
	}
}

func TestDatasetGated(t *testing.T) {
	srv := hubtest.New(t)
	repo := hubtest.NewRepo(map[string][]byte{"train.jsonl": []byte("{}\n")})
	repo.Gated = true
	srv.AddDataset("org/gated", repo)
	srv.Token = "hf_secret"
	c := newClient(t, srv)
	if _, err := c.Dataset(context.Background(), "org/gated", "", "train"); !errors.Is(err, ErrAccess) || !strings.Contains(err.Error(), srv.URL+"/datasets/org/gated") {
		t.Fatalf("no token: %v", err)
	}
	c.Token = "hf_secret"
	if _, err := c.Dataset(context.Background(), "org/gated", "", "train"); err != nil {
		t.Fatal(err)
	}
}

// TestDatasetLocalDir: a directory of the same spelling as an id wins,
// read by the same rules, with no request.
func TestDatasetLocalDir(t *testing.T) {
	srv, _ := datasetHub(t)
	c := newClient(t, srv)
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, filepath.Join("org", "one", "train.jsonl"), "{}\n")
	writeFile(t, filepath.Join("org", "one", "dev.jsonl"), "{}\n")
	d, err := c.Dataset(context.Background(), "org/one", "", "train", "validation")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"train": {filepath.Join("org", "one", "train.jsonl")}, "validation": {filepath.Join("org", "one", "dev.jsonl")}}
	if !reflect.DeepEqual(d.Files, want) || len(srv.Requests()) != 0 {
		t.Fatalf("files %v, want %v", d.Files, want)
	}
}
