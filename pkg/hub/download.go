package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// maxStalledTries is http_get's _nb_retries: a broken transfer resumes
// until this many tries in a row bring no new byte.
const maxStalledTries = 5

var (
	sha256Pattern  = regexp.MustCompile(`^[0-9a-f]{64}$`) // an LFS file's ETag (X-Linked-Etag)
	contentRangeRe = regexp.MustCompile(`^bytes (\d+)-\d+/(\d+|\*)$`)
)

// fetchBlob is _download_to_tmp_and_move: m's file goes to
// blob+".incomplete" (resumed from its length with a Range request), is
// checked against m.size and the ETag's hash, then renamed to blob. A
// failure leaves no blob; a partial .incomplete stays for the next try,
// unless its bytes turned out wrong.
func (c *Client) fetchBlob(ctx context.Context, m metadata, blob, name string) error {
	if _, err := os.Stat(blob); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		return err
	}
	inc := blob + ".incomplete"
	f, err := os.OpenFile(inc, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	have, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if have > m.size { // not a prefix of this file: start again
		if have, err = restart(f); err != nil {
			return err
		}
	}
	bar := newByteProgress(c.Progress, name, m.size, have)
	stalled := 0
	for have < m.size {
		before := have
		have, err = c.getRange(ctx, m, f, have, bar)
		if err == nil || ctx.Err() != nil {
			break
		}
		if !isUnreachable(err) {
			bar.exit()
			return err
		}
		if have > before {
			stalled = 0
		} else if stalled++; stalled >= maxStalledTries {
			bar.exit()
			return fmt.Errorf("download %s: %w (gave up after %d tries without progress; %d of %d bytes kept in %s for the next try)",
				name, err, maxStalledTries, have, m.size, inc)
		}
		select {
		case <-ctx.Done():
		case <-time.After(c.retryDelay):
		}
	}
	if err := ctx.Err(); err != nil {
		bar.exit()
		return err
	}
	if err != nil {
		bar.exit()
		return fmt.Errorf("download %s: %w", name, err)
	}
	bar.finish()
	if err := verify(f, m); err != nil {
		f.Close()
		os.Remove(inc) // wrong bytes cannot be resumed from
		return fmt.Errorf("download %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(inc, blob)
}

// getRange GETs m.location from offset have (a Range request when have >
// 0, as http_get's resume_size) and appends to f. It returns the new
// length of f. A server that ignores the Range (200) restarts the file, as
// http_get does; a 206 for another offset does too.
func (c *Client) getRange(ctx context.Context, m metadata, f *os.File, have int64, bar *byteProgress) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.location, nil)
	if err != nil {
		return have, err
	}
	c.setHeaders(req, m.auth)
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	client := *c.HTTP
	client.CheckRedirect = dropAuthOffHost
	resp, err := client.Do(req)
	if err != nil {
		return have, &unreachableError{err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK && have > 0:
		if have, err = restart(f); err != nil {
			return have, err
		}
		bar.set(0)
	case resp.StatusCode == http.StatusPartialContent:
		if mt := contentRangeRe.FindStringSubmatch(resp.Header.Get("Content-Range")); mt == nil || mt[1] != strconv.FormatInt(have, 10) {
			if have, err = restart(f); err != nil {
				return have, err
			}
			bar.set(0)
			return have, &unreachableError{fmt.Errorf("server answered Range bytes=%d- with Content-Range %q", have, resp.Header.Get("Content-Range"))}
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		have, err = restart(f)
		bar.set(0)
		if err == nil {
			err = &unreachableError{fmt.Errorf("GET %s: %s", resp.Request.URL.Redacted(), resp.Status)}
		}
		return have, err
	case resp.StatusCode >= 500:
		return have, &unreachableError{fmt.Errorf("GET %s: %s", resp.Request.URL.Redacted(), resp.Status)}
	case resp.StatusCode != http.StatusOK:
		return have, fmt.Errorf("GET %s: %s", resp.Request.URL.Redacted(), resp.Status)
	}
	// One byte more than expected is enough to tell a wrong size.
	n, err := io.Copy(io.MultiWriter(f, bar), io.LimitReader(resp.Body, m.size-have+1))
	have += n
	switch {
	case have > m.size:
		have, _ = restart(f)
		return have, fmt.Errorf("%w: the server sent more than the %d bytes it announced", ErrChecksum, m.size)
	case err != nil:
		return have, &unreachableError{err}
	case have < m.size:
		return have, &unreachableError{fmt.Errorf("connection closed at byte %d of %d", have, m.size)}
	}
	return have, nil
}

// dropAuthOffHost keeps the token off any host but the one asked first,
// as requests does on a redirect to the LFS CDN.
func dropAuthOffHost(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		req.Header.Del(authorization)
	}
	return nil
}

func restart(f *os.File) (int64, error) {
	if err := f.Truncate(0); err != nil {
		return 0, err
	}
	_, err := f.Seek(0, io.SeekStart)
	return 0, err
}

// verify checks f against the ETag when it is a content hash: sha256 for
// LFS files (X-Linked-Etag), the git blob sha1 ("blob <size>\0" + bytes)
// for files stored in git. Other ETags (a mirror's) get the size check only.
func verify(f *os.File, m metadata) error {
	var h hash.Hash
	switch {
	case sha256Pattern.MatchString(m.etag):
		h = sha256.New()
	case commitPattern.MatchString(m.etag):
		h = sha1.New()
		fmt.Fprintf(h, "blob %d\x00", m.size)
	default:
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.etag {
		return fmt.Errorf("%w: the %d bytes received hash to %s, the hub's ETag is %s", ErrChecksum, m.size, got, m.etag)
	}
	return nil
}
