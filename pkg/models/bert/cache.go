package bert

import "github.com/gotrl/gotrl/pkg/models/layers"

// Cache holds every layer's keys and values [B, H, S, D] for incremental
// UniLM decoding: under the seq2seq mask no position sees a later one, so
// earlier keys and values never change as targets are appended.
type Cache = layers.KVStack

// NewCache returns an empty cache for m.
func (m *Model) NewCache() *Cache { return layers.NewKVStack(len(m.Layers)) }
