package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// DatasetFiles is one config of a dataset resolved to local files, as
// load_dataset(id, name=config) finds them in a repository without a
// loading script.
type DatasetFiles struct {
	Dir    string // the snapshot directory, or the local directory given
	Config string // the config used; "" when the card names none
	Format string // datasets' module for its files: parquet, json, csv or text
	// Splits are every split of the config, in datasets' order; Files
	// holds the local paths of the splits asked for that exist.
	Splits []string
	Files  map[string][]string
	// Cached says the hub was not asked (offline or unreachable): the
	// splits are those whose files the snapshot holds.
	Cached bool
}

// Split returns the local files of a split, or an error naming the
// splits there are.
func (d *DatasetFiles) Split(name string) ([]string, error) {
	if paths, ok := d.Files[name]; ok {
		return paths, nil
	}
	where := ""
	if d.Config != "" {
		where = " of config " + d.Config
	}
	if d.Cached {
		where += " among the files cached in " + d.Dir
	}
	return nil, fmt.Errorf("%w: no split %q%s; the splits are %s", ErrSplitNotFound, name, where, strings.Join(d.Splits, ", "))
}

// ErrSplitNotFound: the dataset has no such split.
var ErrSplitNotFound = errors.New("split not found")

// Dataset resolves a dataset to the local files of the splits asked for:
// pathOrID itself when it is a local directory (read by the same rules),
// else the hub dataset it spells (org/name[@revision]), whose files are
// fetched into the cache as hf_hub_download(repo_type="dataset") does,
// all from the commit the revision resolved to.
//
// Which files make a split follows datasets 3.x: the card's configs
// (README.md's YAML, .huggingface.yaml), else the split-in-name patterns,
// else every data file is train. A repository with a loading script, or
// whose data files gotrl cannot read, is refused naming what it holds.
func (c *Client) Dataset(ctx context.Context, pathOrID, config string, splits ...string) (*DatasetFiles, error) {
	if st, err := os.Stat(pathOrID); err == nil {
		if !st.IsDir() {
			return nil, fmt.Errorf("%s is a file: a dataset is a hub id or a directory (give a file as a data file instead)", pathOrID)
		}
		return localDataset(pathOrID, config, splits)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	id, err := ParseID(pathOrID)
	if err != nil {
		return nil, fmt.Errorf("%s: no such directory, and not a hub id: %w", pathOrID, err)
	}
	id.Type = DatasetRepo
	d, err := c.hubDataset(ctx, id, config, splits)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", id, err)
	}
	return d, nil
}

func (c *Client) hubDataset(ctx context.Context, id ID, config string, splits []string) (*DatasetFiles, error) {
	commit, files, cached, err := c.datasetListing(ctx, id)
	if err != nil {
		return nil, err
	}
	at := id
	at.Revision = commit
	get := func(name string) (string, error) {
		p, _, err := c.File(ctx, at, name)
		return p, err
	}
	layout, err := readLayout(files, path.Base(id.Repo), config, func(name string) ([]byte, error) {
		p, err := get(name)
		if err != nil {
			return nil, err
		}
		return os.ReadFile(p)
	})
	if err != nil {
		return nil, err
	}
	layout.Dir, layout.Cached = c.snapshotDir(id, commit), cached
	for _, split := range splits {
		if _, done := layout.Files[split]; done {
			continue // train and test may name one split
		}
		for _, f := range layout.files.files[split] {
			p, err := get(f)
			if err != nil {
				return nil, fmt.Errorf("split %s: %w", split, err)
			}
			layout.Files[split] = append(layout.Files[split], p)
		}
	}
	return &layout.DatasetFiles, nil
}

// layout is a DatasetFiles before its files are fetched.
type layout struct {
	DatasetFiles
	files splitFiles
}

// readLayout refuses a loading script, reads the card (through read,
// only when the listing has it) and decides the splits.
func readLayout(files []string, name, config string, read func(string) ([]byte, error)) (layout, error) {
	if script := name + ".py"; slices.Contains(files, script) {
		return layout{}, fmt.Errorf("it has a loading script (%s): gotrl runs no dataset scripts; use a revision or a copy that holds the data files themselves (for a dataset of one config, the hub's parquet conversion: @refs/convert/parquet)", script)
	}
	var card, standalone []byte
	for _, f := range []struct {
		name string
		to   *[]byte
	}{{datasetCard, &card}, {datasetCardYAML, &standalone}} {
		if !slices.Contains(files, f.name) {
			continue
		}
		b, err := read(f.name)
		if err != nil {
			return layout{}, err
		}
		*f.to = b
	}
	configs, err := cardConfigs(card, standalone)
	if err != nil {
		return layout{}, err
	}
	chosen, module, s, err := datasetLayout(files, configs, config)
	if err != nil {
		if len(files) > 0 && !strings.HasPrefix(err.Error(), "no config") {
			err = fmt.Errorf("%w (the repository holds %s)", err, fileList(files))
		}
		return layout{}, err
	}
	return layout{DatasetFiles: DatasetFiles{Config: chosen, Format: module, Splits: s.names, Files: map[string][]string{}}, files: s}, nil
}

// fileList names a repository's files for an error, at most a few.
func fileList(files []string) string {
	if len(files) > 6 {
		return strings.Join(files[:6], ", ") + fmt.Sprintf(", … (%d files)", len(files))
	}
	return strings.Join(files, ", ")
}

// localDataset is load_dataset on a local directory without a script
// (LocalDatasetModuleFactoryWithoutScript): the same rules on its files.
func localDataset(dir, config string, splits []string) (*DatasetFiles, error) {
	files, err := relFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", dir, err)
	}
	sort.Strings(files)
	l, err := readLayout(files, filepath.Base(filepath.Clean(dir)), config, func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(dir, name))
	})
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", dir, err)
	}
	l.Dir = dir
	for _, split := range splits {
		if _, done := l.Files[split]; done {
			continue
		}
		for _, f := range l.files.files[split] {
			l.Files[split] = append(l.Files[split], filepath.Join(dir, filepath.FromSlash(f)))
		}
	}
	return &l.DatasetFiles, nil
}

// datasetListing is the commit the revision names and the repository's
// files, from the hub's dataset_info (GET /api/datasets/{id}/revision/
// {rev}, whose siblings list every file) when it answers; offline, or
// when it cannot be reached, the snapshot the cache's refs/{rev} names,
// listing the files it holds.
func (c *Client) datasetListing(ctx context.Context, id ID) (commit string, files []string, cached bool, err error) {
	rev := id.rev()
	if !c.Offline {
		commit, files, err = c.datasetInfo(ctx, id, rev)
		if err == nil {
			c.markCacheVersion()
			if werr := c.writeRef(id, rev, commit); werr != nil {
				return "", nil, false, fmt.Errorf("write ref: %w", werr)
			}
			sort.Strings(files)
			return commit, files, false, nil
		}
		if !isUnreachable(err) {
			return "", nil, false, err
		}
	} else {
		err = errors.New("offline mode (HF_HUB_OFFLINE is set)")
	}
	commit = c.readRef(id, rev)
	snap := c.snapshotDir(id, commit)
	if commit == "" || !safeName(commit) {
		return "", nil, true, fmt.Errorf("%w: %s (cache %s): %w", ErrNotCached, id, c.CacheDir, err)
	}
	files, walkErr := relFiles(snap)
	if walkErr != nil {
		return "", nil, true, fmt.Errorf("%w: %s (snapshot %s): %w", ErrNotCached, id, snap, walkErr)
	}
	sort.Strings(files)
	return commit, files, true, nil
}

// datasetInfo is HfApi.dataset_info(id, revision=rev): the commit and
// the file names (siblings' rfilename).
func (c *Client) datasetInfo(ctx context.Context, id ID, rev string) (string, []string, error) {
	u := fmt.Sprintf("%s/api/%s/revision/%s", c.Endpoint, id.urlPath(), quote(rev, ""))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", nil, err
	}
	c.setHeaders(req, true)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", nil, ctx.Err()
		}
		return "", nil, &unreachableError{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return "", nil, c.statusError(resp, ID{Repo: id.Repo, Revision: rev, Type: id.Type}, "")
	}
	var info struct {
		SHA      string `json:"sha"`
		Siblings []struct {
			Name string `json:"rfilename"`
		} `json:"siblings"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxInfoBytes)).Decode(&info); err != nil {
		return "", nil, &unreachableError{fmt.Errorf("GET %s: %w", resp.Request.URL.Redacted(), err)}
	}
	if !safeName(info.SHA) {
		return "", nil, &unreachableError{fmt.Errorf("GET %s: no commit (sha) in the answer: it does not look like a hub; check HF_ENDPOINT", resp.Request.URL.Redacted())}
	}
	files := make([]string, 0, len(info.Siblings))
	for _, s := range info.Siblings {
		files = append(files, s.Name)
	}
	return info.SHA, files, nil
}

// maxInfoBytes bounds a dataset_info answer (a repository of 100,000
// files lists in about 5 MB).
const maxInfoBytes = 64 << 20

// relFiles lists the files under dir, as slash paths relative to it.
func relFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files, err
}
