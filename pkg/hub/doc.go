// Package hub resolves Hugging Face Hub ids ("org/name", root-level names
// such as "gpt2" or "bert-base-chinese", either with "@revision") to a
// local snapshot directory, in the cache layout and with the environment
// variables of huggingface_hub 0.36, so a model fetched by Python is reused
// here and the other way round:
//
//	c := hub.FromEnv()          // HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_HUB_OFFLINE, HF_TOKEN
//	c.Progress = os.Stderr
//	dir, err := c.Resolve(ctx, "uer/gpt2-chinese-cluecorpussmall", hub.ModelFiles)
//
// Files come from {HF_ENDPOINT}/{repo}/resolve/{revision}/{file}: a HEAD
// gives the commit (X-Repo-Commit), the ETag (X-Linked-Etag for LFS files)
// and the size; the blob is downloaded to blobs/<etag>.incomplete (resumed
// with a Range request), checked against the size and the hash the ETag
// names (sha256 for LFS files, the git blob sha1 otherwise), renamed into
// blobs/, and linked from snapshots/<commit>/. Only the files a loader
// needs are fetched (see ModelFiles and TokenizerFiles).
//
// Dataset does the same for a dataset repository (ID.Type DatasetRepo:
// {HF_ENDPOINT}/datasets/{repo}/resolve/…, CacheDir/datasets--org--name/),
// listing it with /api/datasets/{repo}/revision/{rev} and choosing the
// files of each split as datasets 3.x's load_dataset does.
//
// It does not use github.com/gomlx/go-huggingface (v0.3.1, evaluated for
// this package against the fake hub in hubtest): it cannot fetch from the
// resolve endpoint alone (it first needs /api/models/{id}/revision/{rev}
// and fetches that again on every run, so a cached model does not load
// with the hub unreachable); it ignores HF_HOME, HF_HUB_CACHE,
// HF_HUB_OFFLINE and HF_TOKEN; it keeps that info in an info/ folder
// huggingface_hub does not know and writes no refs/ or .no_exist/; its
// HEAD follows the LFS redirect and reads the CDN's headers instead of the
// hub's X-Repo-Commit and X-Linked-Etag; it neither resumes nor checks a
// hash; and a read error mid-transfer is wrapped into a nil error
// (errors.Wrapf on an outer err that is nil), so a cut connection left
// 100 of 733 bytes in blobs/ and the snapshot with no error returned. It
// also prints progress to stdout and panics in init.
package hub
