package hub

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	cases := []struct {
		in      string
		want    ID
		wantErr string
	}{
		{in: "gpt2", want: ID{Repo: "gpt2"}},
		{in: "bert-base-chinese", want: ID{Repo: "bert-base-chinese"}},
		{in: "uer/gpt2-chinese-cluecorpussmall", want: ID{Repo: "uer/gpt2-chinese-cluecorpussmall"}},
		{in: "org/name@v1.0", want: ID{Repo: "org/name", Revision: "v1.0"}},
		{in: "org/name@refs/pr/1", want: ID{Repo: "org/name", Revision: "refs/pr/1"}},
		{in: "Foo-BAR_foo.bar123", want: ID{Repo: "Foo-BAR_foo.bar123"}},
		{in: "runs/a/b", wantErr: "want org/name or name"},
		{in: "./out", wantErr: "use letters"},
		{in: "/data/model", wantErr: "want org/name"},
		{in: ".repo", wantErr: "use letters"},
		{in: "foo--bar", wantErr: "'--' and '..'"},
		{in: "foo..bar", wantErr: "'--' and '..'"},
		{in: "foo.git", wantErr: ".git"},
		{in: "org/name@", wantErr: "empty revision"},
		{in: "org/name@../x", wantErr: "'..' path segment"},
		{in: "", wantErr: "use letters"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseID(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("ParseID(%q) = %v, %v; want error with %q", c.in, got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseID(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			}
			if got.String() != c.in {
				t.Fatalf("String() = %q, want %q", got.String(), c.in)
			}
		})
	}
}

func TestWithRevision(t *testing.T) {
	id := ID{Repo: "org/name"}
	if got, err := id.WithRevision("v2"); err != nil || got.Revision != "v2" {
		t.Fatalf("WithRevision: %+v %v", got, err)
	}
	if _, err := (ID{Repo: "org/name", Revision: "a"}).WithRevision("b"); err == nil || !strings.Contains(err.Error(), "revision given twice") {
		t.Fatalf("conflicting revisions: %v", err)
	}
	if got, err := (ID{Repo: "org/name", Revision: "a"}).WithRevision("a"); err != nil || got.Revision != "a" {
		t.Fatalf("same revision twice: %+v %v", got, err)
	}
}

// TestFromEnv checks each variable of constants.py and _auth.py.
func TestFromEnv(t *testing.T) {
	home := t.TempDir()
	tokenFile := filepath.Join(home, "hfhome", "token")
	writeFile(t, tokenFile, " hf_fromfile\r\n")
	cases := []struct {
		name                   string
		env                    map[string]string
		cache, token, endpoint string
		offline                bool
	}{
		{name: "defaults", env: map[string]string{}, cache: filepath.Join(home, ".cache/huggingface/hub"), endpoint: DefaultEndpoint},
		{name: "XDG_CACHE_HOME", env: map[string]string{"XDG_CACHE_HOME": "/x"}, cache: "/x/huggingface/hub", endpoint: DefaultEndpoint},
		{name: "HF_HOME and its token file", env: map[string]string{"HF_HOME": filepath.Join(home, "hfhome")},
			cache: filepath.Join(home, "hfhome/hub"), token: "hf_fromfile", endpoint: DefaultEndpoint},
		{name: "HF_HOME with ~", env: map[string]string{"HF_HOME": "~/hf"}, cache: filepath.Join(home, "hf/hub"), endpoint: DefaultEndpoint},
		{name: "legacy HUGGINGFACE_HUB_CACHE", env: map[string]string{"HF_HOME": "/h", "HUGGINGFACE_HUB_CACHE": "/legacy"}, cache: "/legacy", endpoint: DefaultEndpoint},
		{name: "HF_HUB_CACHE wins", env: map[string]string{"HUGGINGFACE_HUB_CACHE": "/legacy", "HF_HUB_CACHE": "$HOME/c"}, cache: filepath.Join(home, "c"), endpoint: DefaultEndpoint},
		{name: "HF_ENDPOINT trailing slash", env: map[string]string{"HF_ENDPOINT": "http://mirror:8080/"}, cache: filepath.Join(home, ".cache/huggingface/hub"), endpoint: "http://mirror:8080"},
		{name: "HF_TOKEN beats the file", env: map[string]string{"HF_HOME": filepath.Join(home, "hfhome"), "HF_TOKEN": "hf_env"},
			cache: filepath.Join(home, "hfhome/hub"), token: "hf_env", endpoint: DefaultEndpoint},
		{name: "legacy HUGGING_FACE_HUB_TOKEN", env: map[string]string{"HUGGING_FACE_HUB_TOKEN": "hf_old"}, cache: filepath.Join(home, ".cache/huggingface/hub"), token: "hf_old", endpoint: DefaultEndpoint},
		{name: "HF_TOKEN_PATH", env: map[string]string{"HF_TOKEN_PATH": tokenFile}, cache: filepath.Join(home, ".cache/huggingface/hub"), token: "hf_fromfile", endpoint: DefaultEndpoint},
		{name: "implicit token disabled", env: map[string]string{"HF_TOKEN": "hf_env", "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}, cache: filepath.Join(home, ".cache/huggingface/hub"), endpoint: DefaultEndpoint},
		{name: "HF_HUB_OFFLINE=1", env: map[string]string{"HF_HUB_OFFLINE": "1"}, cache: filepath.Join(home, ".cache/huggingface/hub"), endpoint: DefaultEndpoint, offline: true},
		{name: "HF_HUB_OFFLINE=yes", env: map[string]string{"HF_HUB_OFFLINE": "yes"}, cache: filepath.Join(home, ".cache/huggingface/hub"), endpoint: DefaultEndpoint, offline: true},
		{name: "HF_HUB_OFFLINE=0", env: map[string]string{"HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "1"}, cache: filepath.Join(home, ".cache/huggingface/hub"), endpoint: DefaultEndpoint},
		{name: "TRANSFORMERS_OFFLINE", env: map[string]string{"TRANSFORMERS_OFFLINE": "TRUE"}, cache: filepath.Join(home, ".cache/huggingface/hub"), endpoint: DefaultEndpoint, offline: true},
	}
	vars := []string{"HF_HOME", "XDG_CACHE_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ENDPOINT", "HF_TOKEN",
		"HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_DISABLE_IMPLICIT_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("HOME", home)
			for _, v := range vars {
				t.Setenv(v, c.env[v])
			}
			got := FromEnv()
			if got.CacheDir != c.cache || got.Token != c.token || got.Endpoint != c.endpoint || got.Offline != c.offline {
				t.Fatalf("got cache %q token %q endpoint %q offline %v; want %q %q %q %v",
					got.CacheDir, got.Token, got.Endpoint, got.Offline, c.cache, c.token, c.endpoint, c.offline)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	// urllib.parse.quote outputs, as hf_hub_url uses them.
	cases := []struct{ in, safe, want string }{
		{"refs/pr/1", "", "refs%2Fpr%2F1"},
		{"main", "", "main"},
		{"sub dir/vocab 1.txt", "/", "sub%20dir/vocab%201.txt"},
		{"a+b&c=d:e@f~g", "/", "a%2Bb%26c%3Dd%3Ae%40f~g"},
		{"词表.txt", "/", "%E8%AF%8D%E8%A1%A8.txt"},
	}
	for _, c := range cases {
		if got := quote(c.in, c.safe); got != c.want {
			t.Errorf("quote(%q, %q) = %q, want %q", c.in, c.safe, got, c.want)
		}
	}
}
