package hub

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultEndpoint is the public hub (constants._HF_DEFAULT_ENDPOINT).
const DefaultEndpoint = "https://huggingface.co"

// Client resolves hub ids into a huggingface_hub cache. The zero value is
// not usable: start from FromEnv, then override fields.
type Client struct {
	Endpoint string // HF_ENDPOINT, no trailing slash
	CacheDir string // HF_HUB_CACHE: holds models--org--name/
	Token    string // sent as "Authorization: Bearer …" to the endpoint only; "" sends none
	Offline  bool   // HF_HUB_OFFLINE: never ask the hub, use the cache only
	// Progress receives a bar per downloaded file (a plain line when it is
	// not a terminal); nil shows nothing.
	Progress io.Writer
	// HTTP makes every request; FromEnv sets one with huggingface_hub's
	// timeouts (10 s to connect and to the first response byte).
	HTTP *http.Client

	retryDelay time.Duration // pause before resuming a broken transfer
}

// FromEnv reads the environment exactly as huggingface_hub 0.36's
// constants.py and utils/_auth.py do:
//
//	HF_HOME        default $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface
//	HF_HUB_CACHE   default $HUGGINGFACE_HUB_CACHE (legacy), else $HF_HOME/hub
//	HF_ENDPOINT    default https://huggingface.co
//	HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) 1/ON/YES/TRUE
//	HF_TOKEN       default $HUGGING_FACE_HUB_TOKEN (legacy), else the file
//	               $HF_TOKEN_PATH, default $HF_HOME/token;
//	               HF_HUB_DISABLE_IMPLICIT_TOKEN=1 sends none
func FromEnv() *Client {
	home := envPath("HF_HOME", filepath.Join(envOr("XDG_CACHE_HOME", filepath.Join(homeDir(), ".cache")), "huggingface"))
	cache := envPath("HF_HUB_CACHE", envOr("HUGGINGFACE_HUB_CACHE", filepath.Join(home, "hub")))
	return &Client{
		Endpoint:   strings.TrimRight(envOr("HF_ENDPOINT", DefaultEndpoint), "/"),
		CacheDir:   cache,
		Token:      token(home),
		Offline:    isTrue(envOr("HF_HUB_OFFLINE", os.Getenv("TRANSFORMERS_OFFLINE"))),
		HTTP:       newHTTPClient(),
		retryDelay: time.Second,
	}
}

// token is _auth.get_token without Colab: the environment, then the token
// file, cleaned as _clean_token does (CR/LF removed, spaces trimmed).
func token(home string) string {
	if isTrue(os.Getenv("HF_HUB_DISABLE_IMPLICIT_TOKEN")) {
		return ""
	}
	clean := func(s string) string {
		return strings.TrimSpace(strings.NewReplacer("\r", "", "\n", "").Replace(s))
	}
	if t := clean(envOr("HF_TOKEN", os.Getenv("HUGGING_FACE_HUB_TOKEN"))); t != "" {
		return t
	}
	b, err := os.ReadFile(envPath("HF_TOKEN_PATH", filepath.Join(home, "token")))
	if err != nil {
		return ""
	}
	return clean(string(b))
}

// newHTTPClient has constants.DEFAULT_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT
// (10 s) for connecting and for the response headers, and none on the body,
// which may take hours for a large checkpoint.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = 10 * time.Second
	return &http.Client{Transport: t}
}

// isTrue is constants._is_true.
func isTrue(v string) bool {
	switch strings.ToUpper(v) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

// envOr is os.getenv(key, def); an empty value counts as unset.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// envPath is os.path.expandvars(os.path.expanduser(os.getenv(key, def))).
func envPath(key, def string) string {
	p := envOr(key, def)
	if p == "~" || strings.HasPrefix(p, "~/") {
		p = homeDir() + p[1:]
	}
	return os.ExpandEnv(p)
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}
