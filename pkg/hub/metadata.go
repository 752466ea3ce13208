package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Response headers of the hub's resolve endpoint (constants.HUGGINGFACE_HEADER_*).
const (
	headerRepoCommit = "X-Repo-Commit" // the commit the revision resolved to
	headerLinkedEtag = "X-Linked-Etag" // sha256 of an LFS file (ETag is then the pointer's)
	headerLinkedSize = "X-Linked-Size" // size of an LFS file
)

// Request settings.
const (
	resolveURLPattern = "%s/%s/resolve/%s/%s" // constants.HUGGINGFACE_CO_URL_TEMPLATE
	maxRelRedirects   = 10
	userAgent         = "gotrl-hub (huggingface_hub 0.36 cache layout)"
	authorization     = "Authorization"
	acceptEncoding    = "Accept-Encoding"
	identityEncoding  = "identity" // no compression: sizes and ranges are of the file itself
)

// metadata is HfFileMetadata: what a HEAD on the resolve URL says.
type metadata struct {
	commit   string
	etag     string // normalized: no W/ prefix, no quotes
	size     int64
	location string // where to GET: the resolve URL, or the CDN it redirects to
	auth     bool   // location is on the endpoint's host, so the token may go there
}

// resolveURL is hf_hub_url: {endpoint}/{repo}/resolve/{revision}/{file},
// the repo prefixed with "datasets/" for a dataset, the revision quoted
// with safe="" and the file with safe="/".
func (c *Client) resolveURL(id ID, rev, file string) string {
	return fmt.Sprintf(resolveURLPattern, c.Endpoint, id.urlPath(), quote(rev, ""), quote(file, "/"))
}

// head is get_hf_file_metadata: a HEAD that follows only relative
// redirects (a renamed repository) and reads an absolute one (the LFS CDN)
// without going there. For a 404 EntryNotFound it also returns the commit
// the hub reported, so the miss can be cached.
func (c *Client) head(ctx context.Context, id ID, rev, file string) (metadata, error) {
	start := c.resolveURL(id, rev, file)
	u := start
	var resp *http.Response
	for range maxRelRedirects {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
		if err != nil {
			return metadata{}, fmt.Errorf("%s: %w", id, err)
		}
		c.setHeaders(req, true)
		client := *c.HTTP
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err = client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return metadata{}, ctx.Err()
			}
			return metadata{}, &unreachableError{err}
		}
		resp.Body.Close()
		next, ok := relativeRedirect(resp)
		if !ok {
			break
		}
		u = next
	}
	if resp.StatusCode >= 400 {
		err := c.statusError(resp, id, file)
		return metadata{commit: resp.Header.Get(headerRepoCommit)}, err
	}
	m := metadata{
		commit:   resp.Header.Get(headerRepoCommit),
		etag:     normalizeEtag(firstNonEmpty(resp.Header.Get(headerLinkedEtag), resp.Header.Get("ETag"))),
		location: firstNonEmpty(resp.Header.Get("Location"), resp.Request.URL.String()),
		size:     -1,
	}
	if n, err := strconv.ParseInt(firstNonEmpty(resp.Header.Get(headerLinkedSize), resp.Header.Get("Content-Length")), 10, 64); err == nil {
		m.size = n
	}
	switch {
	case m.commit == "":
		return m, &unreachableError{fmt.Errorf("%s answered without %s: it does not look like a hub; check HF_ENDPOINT, proxies and firewall", c.Endpoint, headerRepoCommit)}
	case m.etag == "":
		return m, &unreachableError{fmt.Errorf("%s for %s: no ETag, so the file cannot be checked", c.Endpoint, file)}
	case m.size < 0:
		return m, &unreachableError{fmt.Errorf("%s for %s: no Content-Length", c.Endpoint, file)}
	case !safeName(m.commit) || !safeName(m.etag):
		return m, fmt.Errorf("%s for %s: commit %q or ETag %q is not a plain name", c.Endpoint, file, m.commit, m.etag)
	}
	loc, err := resp.Request.URL.Parse(m.location)
	if err != nil {
		return m, fmt.Errorf("%s for %s: Location %q: %w", c.Endpoint, file, m.location, err)
	}
	m.location = loc.String()
	m.auth = loc.Host == resp.Request.URL.Host
	return m, nil
}

// relativeRedirect is _request_wrapper(follow_relative_redirects=True): a
// 3xx whose Location has no host continues on the same host with the
// Location's path.
func relativeRedirect(resp *http.Response) (string, bool) {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return "", false
	}
	target, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || target.Host != "" || target.Path == "" {
		return "", false
	}
	next := *resp.Request.URL
	next.Path, next.RawPath = target.Path, target.RawPath
	return next.String(), true
}

func (c *Client) setHeaders(req *http.Request, auth bool) {
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(acceptEncoding, identityEncoding)
	if auth && c.Token != "" {
		req.Header.Set(authorization, "Bearer "+c.Token)
	}
}

// normalizeEtag is _normalize_etag: etag.lstrip("W/").strip('"').
func normalizeEtag(e string) string {
	return strings.Trim(strings.TrimLeft(e, "W/"), `"`)
}

// quote is urllib.parse.quote(s, safe): UTF-8 bytes other than letters,
// digits, "_.-~" and safe become %XX.
func quote(s, safe string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("_.-~"+safe, ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// isUnreachable reports whether err allows falling back to the cache.
func isUnreachable(err error) bool {
	var u *unreachableError
	return errors.As(err, &u)
}
