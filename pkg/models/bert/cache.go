package bert

import (
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
)

// Cache holds every layer's keys and values [B, H, S, D] for incremental
// UniLM decoding: with the seq2seq mask no earlier position ever sees a
// later one, so their keys and values never change as targets are appended.
type Cache struct {
	Layers []layers.KV
}

// NewCache returns an empty cache for m.
func (m *Model) NewCache() *Cache { return &Cache{Layers: make([]layers.KV, len(m.Layers))} }

// Len is the cached sequence length (0 for a nil cache).
func (c *Cache) Len() int64 {
	if c == nil || len(c.Layers) == 0 {
		return 0
	}
	return c.Layers[0].Len()
}

func (c *Cache) layer(i int) *layers.KV {
	if c == nil {
		return nil
	}
	return &c.Layers[i]
}

// Reorder keeps batch rows idx (int64 [N]) of every layer, in place (beam search).
func (c *Cache) Reorder(idx *tensor.Tensor) (err error) {
	defer tensor.Recover(&err)
	for i := range c.Layers {
		c.Layers[i].Reorder(idx)
	}
	return nil
}

// Close frees the cache.
func (c *Cache) Close() {
	if c == nil {
		return
	}
	for i := range c.Layers {
		c.Layers[i].Close()
	}
}
