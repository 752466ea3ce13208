package layers

import "github.com/gotrl/gotrl/internal/tensor"

// KVStack is one KV cache per layer (HF's past_key_values). A nil *KVStack
// means "no cache": Len is 0 and Layer returns nil.
type KVStack struct {
	Layers []KV
}

// NewKVStack returns an empty cache for n layers.
func NewKVStack(n int) *KVStack { return &KVStack{Layers: make([]KV, n)} }

// Len is the number of cached positions (0 for a nil or empty stack).
func (c *KVStack) Len() int64 {
	if c == nil || len(c.Layers) == 0 {
		return 0
	}
	return c.Layers[0].Len()
}

// Layer returns layer i's cache, or nil when c is nil.
func (c *KVStack) Layer(i int) *KV {
	if c == nil {
		return nil
	}
	return &c.Layers[i]
}

// Reserve asks every layer to make room for more positions after the
// cached ones when it next grows (see KV.Reserve). A nil stack ignores it.
func (c *KVStack) Reserve(more int64) {
	if c == nil {
		return
	}
	for i := range c.Layers {
		c.Layers[i].Reserve(c.Layers[i].Len() + more)
	}
}

// Reorder keeps batch rows idx (int64 [N]) of every layer, in place (beam search).
func (c *KVStack) Reorder(idx *tensor.Tensor) (err error) {
	defer tensor.Recover(&err)
	for i := range c.Layers {
		c.Layers[i].Reorder(idx)
	}
	return nil
}

// Close frees the cached tensors.
func (c *KVStack) Close() {
	if c == nil {
		return
	}
	for i := range c.Layers {
		c.Layers[i].Close()
	}
}
