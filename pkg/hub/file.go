package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File returns the cached path of one file of id (its snapshot entry),
// downloading it first when needed: huggingface_hub's hf_hub_download
// into the cache, plus transformers' rule that a commit hash already in
// the cache (file or .no_exist marker) needs no request.
//
// It returns the commit the revision resolved to. Errors: ErrEntryNotFound
// when the hub (or a .no_exist marker) says the file does not exist,
// ErrNotCached when offline or unreachable without a cached copy, and
// ErrRepoNotFound, ErrRevisionNotFound, ErrAccess, ErrChecksum.
func (c *Client) File(ctx context.Context, id ID, name string) (path, commit string, err error) {
	rev := id.rev()
	if commitPattern.MatchString(rev) {
		if p, ok, err := c.cached(id, rev, name); ok || err != nil {
			return p, rev, err
		}
	}
	if c.Offline {
		return c.fromCache(id, rev, name, fmt.Errorf("offline mode (HF_HUB_OFFLINE is set)"))
	}
	m, err := c.head(ctx, id, rev, name)
	switch {
	case errors.Is(err, ErrEntryNotFound):
		if m.commit != "" && safeName(m.commit) {
			c.markNoExist(id, m.commit, name)
			_ = c.writeRef(id, rev, m.commit) // a read-only cache still answers
		}
		return "", m.commit, err
	case ctx.Err() != nil:
		return "", "", ctx.Err()
	case errors.Is(err, ErrRevisionNotFound):
		return "", "", err
	case err != nil:
		// No connection, 5xx, 401/403 or a missing repo: a cached copy
		// still serves, as in _hf_hub_download_to_cache_dir.
		return c.fromCache(id, rev, name, err)
	}
	c.markCacheVersion()
	if err := c.writeRef(id, rev, m.commit); err != nil {
		return "", "", fmt.Errorf("%s: write ref: %w", id, err)
	}
	pointer, err := c.pointerPath(id, m.commit, name)
	if err != nil {
		return "", "", err
	}
	if _, err := os.Stat(pointer); err == nil {
		return pointer, m.commit, nil
	}
	if err := c.store(ctx, id, m, name, pointer); err != nil {
		return "", "", fmt.Errorf("%s: %w", id, err)
	}
	return pointer, m.commit, nil
}

// store downloads m's blob unless present and links pointer to it, under
// the blob's lock.
func (c *Client) store(ctx context.Context, id ID, m metadata, name, pointer string) error {
	unlock, err := lockFile(ctx, filepath.Join(c.CacheDir, ".locks", id.folder(), m.etag+".lock"))
	if err != nil {
		return err
	}
	defer unlock()
	blob := filepath.Join(c.repoDir(id), "blobs", m.etag)
	if err := c.fetchBlob(ctx, m, blob, name); err != nil {
		return err
	}
	return linkBlob(blob, pointer)
}

// cached looks name up in the snapshot of commit: its path, or
// ErrEntryNotFound for a .no_exist marker; ok is false when neither is there.
func (c *Client) cached(id ID, commit, name string) (string, bool, error) {
	p, err := c.pointerPath(id, commit, name)
	if err != nil {
		return "", true, err
	}
	if _, err := os.Stat(p); err == nil {
		return p, true, nil
	}
	if _, err := os.Stat(c.noExistPath(id, commit, name)); err == nil {
		return "", true, fmt.Errorf("%w: %s in %s@%s (cached 404 in %s)", ErrEntryNotFound, name, id.Repo, commit, filepath.Join(c.repoDir(id), ".no_exist"))
	}
	return "", false, nil
}

// fromCache answers from the cache when the hub cannot (why says which):
// the commit refs/<rev> names (or rev itself), then that snapshot.
func (c *Client) fromCache(id ID, rev, name string, why error) (string, string, error) {
	if commit := c.readRef(id, rev); commit != "" {
		if p, ok, err := c.cached(id, commit, name); ok || err != nil {
			return p, commit, err
		}
	}
	if isUnreachable(why) || c.Offline {
		return "", "", fmt.Errorf("%w: %s in %s@%s (cache %s): %w", ErrNotCached, name, id.Repo, rev, c.CacheDir, why)
	}
	return "", "", why
}
