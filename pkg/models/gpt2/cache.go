package gpt2

import (
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
)

// Cache holds every block's keys and values, [B, H, S, D] each (HF's
// past_key_values). A nil *Cache means "no cache".
type Cache struct {
	Layers []layers.KV
}

// NewCache returns an empty cache for c's blocks.
func NewCache(c Config) *Cache { return &Cache{Layers: make([]layers.KV, c.NLayer)} }

// Len is the number of cached positions (0 for a nil or empty cache).
func (c *Cache) Len() int64 {
	if c == nil || len(c.Layers) == 0 {
		return 0
	}
	return c.Layers[0].Len()
}

// Reorder keeps batch rows idx [B'] (beam search), in place.
func (c *Cache) Reorder(idx *tensor.Tensor) (err error) {
	defer tensor.Recover(&err)
	for i := range c.Layers {
		c.Layers[i].Reorder(idx)
	}
	return nil
}

// Close frees the cached tensors.
func (c *Cache) Close() {
	if c == nil {
		return
	}
	for i := range c.Layers {
		c.Layers[i].Close()
	}
}

// layer returns block i's cache, or nil when c is nil.
func (c *Cache) layer(i int) *layers.KV {
	if c == nil {
		return nil
	}
	return &c.Layers[i]
}
