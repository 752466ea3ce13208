package gpt2

import "github.com/gotrl/gotrl/pkg/models/layers"

// Cache holds every block's keys and values, [B, H, S, D] each (HF's
// past_key_values). A nil *Cache means "no cache".
type Cache = layers.KVStack

// NewCache returns an empty cache for c's blocks.
func NewCache(c Config) *Cache { return layers.NewKVStack(int(c.NLayer)) }
