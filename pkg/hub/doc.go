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
// It does not use github.com/gomlx/go-huggingface (v0.3.1, evaluated for
// this package): that module ignores HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE
// and HF_TOKEN; needs the /api/models/… info endpoint and re-fetches it on
// every run, so a cached model does not load with the hub unreachable;
// stores that info in an info/ folder huggingface_hub does not know and
// writes no refs/ or .no_exist/; refuses any redirect on the HEAD (the
// LFS CDN redirect every large file takes); does not resume or check any
// hash; and a read error mid-transfer is wrapped into a nil error
// (errors.Wrapf(err, …) on the outer, nil err), so a cut connection is
// renamed into blobs/ as a complete file. It also prints progress to
// stdout and panics in init.
package hub
