package t5

import (
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
)

// Cache is the decoder's key/value cache, [B, H, S, D] per block: Self
// grows with the decoded positions; Cross holds the encoder output's keys
// and values, computed on the first decoder call and reused afterwards.
type Cache struct {
	Self, Cross *layers.KVStack
}

// NewCache returns an empty cache for m's decoder.
func (m *Model) NewCache() *Cache {
	n := len(m.Decoder.Blocks)
	return &Cache{Self: layers.NewKVStack(n), Cross: layers.NewKVStack(n)}
}

// Len is the number of decoder positions cached (0 for a nil cache).
func (c *Cache) Len() int64 {
	if c == nil {
		return 0
	}
	return c.Self.Len()
}

// layer returns block i's entries, or nils without a cache.
func (c *Cache) layer(i int) (self, cross *layers.KV) {
	if c == nil {
		return nil, nil
	}
	return c.Self.Layer(i), c.Cross.Layer(i)
}

// Reorder keeps batch rows idx (int64 [N]) in both parts, in place (beam search).
func (c *Cache) Reorder(idx *tensor.Tensor) error {
	if err := c.Self.Reorder(idx); err != nil {
		return err
	}
	return c.Cross.Reorder(idx)
}

// Close frees the cache.
func (c *Cache) Close() {
	if c == nil {
		return
	}
	c.Self.Close()
	c.Cross.Close()
}
