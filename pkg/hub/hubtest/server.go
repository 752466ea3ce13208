// Package hubtest runs a small imitation of the Hugging Face Hub's file
// endpoint on loopback for tests, as net/http/httptest does for servers:
// GET and HEAD {URL}/{repo}/resolve/{revision}/{file} with the hub's
// headers (X-Repo-Commit, ETag = git blob sha1, X-Linked-Etag = sha256 and
// X-Linked-Size for LFS files), LFS files redirected (302, absolute) to a
// second server on another host name (the CDN), relative redirects for
// renamed repositories, X-Error-Code answers (RepoNotFound,
// RevisionNotFound, EntryNotFound, GatedRepo), private repositories that
// need a token, Range requests, and injected faults (a transfer cut short,
// a Range ignored, a corrupted byte). Every request is logged.
//
// Dataset repositories (AddDataset) are served as the hub serves them:
// files at {URL}/datasets/{repo}/resolve/{revision}/{file}, and
// huggingface_hub's dataset_info at {URL}/api/datasets/{repo}/revision/
// {revision}, answering the commit ("sha") and every file ("siblings").
package hubtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Repo is one repository: commits by hash and the branches and tags
// pointing at them.
type Repo struct {
	Commits map[string]map[string][]byte // commit hash → file name → contents
	Refs    map[string]string            // branch or tag → commit hash
	Private bool                         // anonymous or wrong-token requests get 401
	Gated   bool                         // requests without the token get 403 GatedRepo
	MovedTo string                       // renamed: a relative 307 to this repo id
}

// NewRepo is a repository whose branch "main" holds files.
func NewRepo(files map[string][]byte) *Repo {
	r := &Repo{Commits: map[string]map[string][]byte{}, Refs: map[string]string{}}
	r.Refs["main"] = r.Add("main", files)
	return r
}

// Add stores a commit of files and returns its hash, derived from the
// contents and label so that fixtures are stable.
func (r *Repo) Add(label string, files map[string][]byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s\x00", label)
	for _, n := range sortedNames(files) {
		fmt.Fprintf(h, "%s\x00%x\x00", n, sha256.Sum256(files[n]))
	}
	c := hex.EncodeToString(h.Sum(nil))
	r.Commits[c] = files
	return c
}

// Request is one logged request.
type Request struct {
	Method, Host, Path, Range, Auth string
}

// Faults apply to GETs of file contents (the hub's own and the CDN's),
// except HubStatus.
type Faults struct {
	HubStatus     int   // when set, the hub answers every request with this status (503: down for maintenance)
	TruncateAt    int64 // with TruncateTimes ≠ 0: send no byte at or past this offset, then cut the connection
	TruncateTimes int   // how many GETs to cut (-1: all)
	IgnoreRange   bool  // answer 200 with the whole file to a Range request
	Corrupt       bool  // flip the first byte sent
}

// Server is a fake hub plus its CDN.
type Server struct {
	URL   string // HF_ENDPOINT
	CDN   string // base URL of LFS downloads, on host "localhost" (the hub is on 127.0.0.1)
	Token string // the token private and gated repositories accept

	hub, cdn *httptest.Server
	mu       sync.Mutex
	repos    map[string]*Repo
	datasets map[string]*Repo
	blobs    map[string][]byte // LFS objects by sha256
	faults   Faults
	log      []Request
}

// New starts a server; t.Cleanup stops it.
func New(t testing.TB) *Server {
	s := &Server{repos: map[string]*Repo{}, datasets: map[string]*Repo{}, blobs: map[string][]byte{}}
	s.hub = httptest.NewServer(http.HandlerFunc(s.serveHub))
	s.cdn = httptest.NewServer(http.HandlerFunc(s.serveCDN))
	s.URL = s.hub.URL
	_, port, _ := net.SplitHostPort(s.cdn.Listener.Addr().String())
	s.CDN = "http://localhost:" + port
	t.Cleanup(s.Close)
	return s
}

// Close stops both servers: later requests fail to connect.
func (s *Server) Close() {
	s.hub.Close()
	s.cdn.Close()
}

// AddRepo serves r under id ("org/name" or "name").
func (s *Server) AddRepo(id string, r *Repo) { s.add(s.repos, id, r) }

// AddDataset serves r as the dataset repository id.
func (s *Server) AddDataset(id string, r *Repo) { s.add(s.datasets, id, r) }

func (s *Server) add(to map[string]*Repo, id string, r *Repo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	to[id] = r
	for _, files := range r.Commits {
		for name, b := range files {
			if IsLFS(name) {
				s.blobs[SHA256(b)] = b
			}
		}
	}
}

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Requests returns the log so far and clears it.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.log
	s.log = nil
	return out
}

// IsLFS says which files the fake hub stores in LFS (by extension, as a
// repository's .gitattributes does).
func IsLFS(name string) bool {
	switch path.Ext(name) {
	case ".safetensors", ".bin", ".model", ".h5", ".msgpack", ".parquet":
		return true
	}
	return false
}

// SHA256 is an LFS file's ETag.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// GitSHA1 is a git-stored file's ETag: the sha1 of "blob <size>\0" + b.
func GitSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Server) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Request{r.Method, r.Host, r.URL.EscapedPath(), r.Header.Get("Range"), r.Header.Get("Authorization")})
}

func (s *Server) serveHub(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	p := r.URL.EscapedPath()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.NotFound(w, r)
		return
	}
	if rest, ok := strings.CutPrefix(p, "/api/datasets/"); ok {
		s.serveInfo(w, r, rest)
		return
	}
	prefix, repos := "/", s.repos
	if rest, ok := strings.CutPrefix(p, "/datasets/"); ok {
		prefix, repos, p = "/datasets/", s.datasets, "/"+rest
	}
	i := strings.Index(p, "/resolve/")
	if i < 1 {
		http.NotFound(w, r)
		return
	}
	repoID := p[1:i]
	escRev, escFile, _ := strings.Cut(p[i+len("/resolve/"):], "/")
	rev, err1 := url.PathUnescape(escRev)
	file, err2 := url.PathUnescape(escFile)
	if err1 != nil || err2 != nil {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	repo, ok := repos[repoID]
	s.mu.Unlock()
	if ok && repo.MovedTo != "" {
		w.Header().Set("Location", prefix+repo.MovedTo+"/resolve/"+escRev+"/"+escFile)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	commit, files, ok := s.checkout(w, r, repo, ok, repoID, rev, false)
	if !ok {
		return
	}
	w.Header().Set("X-Repo-Commit", commit)
	b, ok := files[file]
	if !ok {
		hubError(w, http.StatusNotFound, "EntryNotFound", "Entry not found")
		return
	}
	if IsLFS(file) {
		sum := SHA256(b)
		pointer := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", sum, len(b))
		w.Header().Set("ETag", `"`+GitSHA1([]byte(pointer))+`"`)
		w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(b)))
		w.Header().Set("Location", s.CDN+"/blobs/"+sum+"?download=true")
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+GitSHA1(b)+`"`)
	s.serveBytes(w, r, b)
}

// checkout answers the errors the hub gives before reading a file (the
// hub down, no such repository, no access, no such revision) and
// otherwise returns the commit rev names and its files. A gated
// repository's info is public (info): only its files need the token.
func (s *Server) checkout(w http.ResponseWriter, r *http.Request, repo *Repo, found bool, repoID, rev string, info bool) (string, map[string][]byte, bool) {
	s.mu.Lock()
	down := s.faults.HubStatus
	s.mu.Unlock()
	auth := r.Header.Get("Authorization")
	switch {
	case down != 0:
		w.WriteHeader(down)
		return "", nil, false
	case !found:
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
		return "", nil, false
	case repo.Private && auth == "":
		hubError(w, http.StatusUnauthorized, "RepoNotFound", "Invalid username or password.")
		return "", nil, false
	case repo.Private && auth != "Bearer "+s.Token:
		hubError(w, http.StatusUnauthorized, "", "Invalid credentials in Authorization header")
		return "", nil, false
	case repo.Gated && !info && auth != "Bearer "+s.Token:
		hubError(w, http.StatusForbidden, "GatedRepo", "Access to "+repoID+" is restricted.")
		return "", nil, false
	}
	commit := rev
	if c, ok := repo.Refs[rev]; ok {
		commit = c
	}
	files, ok := repo.Commits[commit]
	if !ok {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return "", nil, false
	}
	return commit, files, true
}

// serveInfo answers GET /api/datasets/{repo}/revision/{rev} (rev quoted
// with safe="") with the fields of DatasetInfo that load_dataset reads.
func (s *Server) serveInfo(w http.ResponseWriter, r *http.Request, rest string) {
	i := strings.LastIndex(rest, "/revision/")
	if i < 1 {
		http.NotFound(w, r)
		return
	}
	repoID := rest[:i]
	rev, err := url.PathUnescape(rest[i+len("/revision/"):])
	if err != nil {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	repo, found := s.datasets[repoID]
	s.mu.Unlock()
	commit, files, ok := s.checkout(w, r, repo, found, repoID, rev, true)
	if !ok {
		return
	}
	type sibling struct {
		Name string `json:"rfilename"`
	}
	info := struct {
		ID       string    `json:"id"`
		SHA      string    `json:"sha"`
		Private  bool      `json:"private"`
		Gated    bool      `json:"gated"`
		Siblings []sibling `json:"siblings"`
	}{ID: repoID, SHA: commit, Private: repo.Private, Gated: repo.Gated, Siblings: []sibling{}}
	for _, n := range sortedNames(files) {
		info.Siblings = append(info.Siblings, sibling{n})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(info)
}

func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	sum := strings.TrimPrefix(r.URL.Path, "/blobs/")
	s.mu.Lock()
	b, ok := s.blobs[sum]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", `"`+sum+`"`)
	s.serveBytes(w, r, b)
}

// serveBytes answers a GET or HEAD for b, honouring "Range: bytes=N-" and
// the injected faults.
func (s *Server) serveBytes(w http.ResponseWriter, r *http.Request, b []byte) {
	s.mu.Lock()
	f := s.faults
	cut := r.Method == http.MethodGet && f.TruncateTimes != 0
	if cut && f.TruncateTimes > 0 {
		s.faults.TruncateTimes--
	}
	s.mu.Unlock()
	w.Header().Set("Accept-Ranges", "bytes")
	start := int64(0)
	if rg := r.Header.Get("Range"); rg != "" && !f.IgnoreRange {
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"), 10, 64)
		if err != nil || n >= int64(len(b)) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(b)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start = n
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", n, len(b)-1, len(b)))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)-int(start)))
	if start > 0 {
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	if r.Method == http.MethodHead {
		return
	}
	body := append([]byte(nil), b[start:]...)
	if f.Corrupt && len(body) > 0 {
		body[0] ^= 0xff
	}
	if cut {
		body = body[:max(0, min(int64(len(body)), f.TruncateAt-start))]
	}
	w.Write(body)
	if cut { // fewer bytes than Content-Length: net/http closes the connection
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
	}
}

func hubError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", msg)
	w.WriteHeader(status)
}

func sortedNames(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CopyTree copies a committed cache directory (symlinks as symlinks) into
// a temporary directory and returns the copy, so a test cannot change the
// original. A missing src skips the test.
func CopyTree(t testing.TB, src string) string {
	t.Helper()
	if _, err := os.Stat(src); err != nil {
		t.Skipf("fixture missing: %v", err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
