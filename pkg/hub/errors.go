package hub

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Errors a caller can test with errors.Is. Each wraps the id (and file)
// into its message, e.g. "model not found: org/name" (ErrRepoNotFound
// follows the repository's type: "dataset not found: org/name").
var (
	ErrRepoNotFound     = errors.New("not found")          // 404 RepoNotFound
	ErrRevisionNotFound = errors.New("revision not found") // 404 RevisionNotFound
	ErrEntryNotFound    = errors.New("file not found")     // 404 EntryNotFound, or a .no_exist marker
	ErrAccess           = errors.New("access denied")      // 401, 403, gated or disabled repos
	ErrNotCached        = errors.New("not in the cache")   // offline or unreachable, and no cached copy
	ErrChecksum         = errors.New("checksum mismatch")  // the bytes do not hash to the server's ETag
)

// unreachableError is a failure that says nothing about the repository
// (no connection, a timeout, a 5xx): huggingface_hub then falls back to
// the cache, and so do we.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// statusError turns a hub error response into one of the errors above, as
// utils/_http.py's hf_raise_for_status reads X-Error-Code and
// X-Error-Message. 5xx and unknown codes are unreachableErrors.
func (c *Client) statusError(resp *http.Response, id ID, file string) error {
	code, msg := resp.Header.Get("X-Error-Code"), resp.Header.Get("X-Error-Message")
	status := resp.Status
	switch {
	case code == "RevisionNotFound":
		return fmt.Errorf("%w: %s@%s (%s; no such branch, tag or commit)", ErrRevisionNotFound, id.Repo, id.rev(), status)
	case code == "EntryNotFound":
		return fmt.Errorf("%w: %s in %s@%s", ErrEntryNotFound, file, id.Repo, id.rev())
	case code == "GatedRepo":
		return fmt.Errorf("%w: %s is gated (%s): accept its conditions at %s/%s, then set HF_TOKEN to a token of that account",
			ErrAccess, id.Repo, status, c.Endpoint, id.urlPath())
	case msg == "Access to this resource is disabled.":
		return fmt.Errorf("%w: %s: %s", ErrAccess, id.Repo, msg)
	case resp.StatusCode == http.StatusUnauthorized && msg == "Invalid credentials in Authorization header":
		return fmt.Errorf("%w: %s: %s: the token from HF_TOKEN (or the token file) was refused; set HF_TOKEN to a valid token",
			ErrAccess, id.Repo, status)
	case resp.StatusCode == http.StatusUnauthorized && code == "RepoNotFound":
		// The hub answers this to anonymous requests for private, gated
		// and missing repositories alike.
		return fmt.Errorf("%s %w: %s on %s, or %w to it (%s): if it is private or gated, set HF_TOKEN to a token that can read it",
			id.Type.kind(), ErrRepoNotFound, id.Repo, c.Endpoint, ErrAccess, status)
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%w: %s: %s%s: set HF_TOKEN (or log in, writing $HF_HOME/token) to a token that can read it",
			ErrAccess, id.Repo, status, detail(msg))
	case resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: %s: %s%s: set HF_TOKEN to a token with read access to it", ErrAccess, id.Repo, status, detail(msg))
	case code == "RepoNotFound" || resp.StatusCode == http.StatusNotFound:
		hint := ""
		if c.Token == "" {
			hint = " (if it is private, set HF_TOKEN)"
		}
		return fmt.Errorf("%s %w: %s on %s%s", id.Type.kind(), ErrRepoNotFound, id.Repo, c.Endpoint, hint)
	}
	return &unreachableError{fmt.Errorf("%s %s: %s%s", resp.Request.Method, resp.Request.URL.Redacted(), status, detail(msg))}
}

func detail(msg string) string {
	if msg = strings.TrimSpace(msg); msg == "" {
		return ""
	}
	return " (" + msg + ")"
}
