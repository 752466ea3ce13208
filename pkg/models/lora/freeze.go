package lora

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/gotrl/gotrl/pkg/models/nn"
)

// layerIndex finds a transformer layer index in a parameter name:
// transformer.h.<i>. (GPT-2), bert.encoder.layer.<i>. (BERT),
// encoder.block.<i>. / decoder.block.<i>. (T5). Group 1 is the stack,
// group 2 the index.
var layerIndex = regexp.MustCompile(`^(|.*?\.)(h|layer|layers|block)\.(\d+)\.`)

// FreezeAllButTopN is the book's partial fine-tuning: it freezes every
// layer of each stack except its top n, and every parameter created before
// the first layer (the embeddings, and weights tied to them); parameters
// created after the layers (final norms, heads) keep their flag. A T5
// model's encoder and decoder are separate stacks. It returns how many
// layers it froze.
func FreezeAllButTopN(store *nn.Store, n int) (frozen int, err error) {
	if n < 0 {
		return 0, fmt.Errorf("freeze: top n = %d, want ≥ 0", n)
	}
	count := map[string]int{} // stack → number of layers
	first := -1               // creation index of the first layer parameter
	for i, v := range store.Vars() {
		stack, l, ok := layerOf(v.Name)
		if !ok {
			continue
		}
		count[stack] = max(count[stack], l+1)
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return 0, fmt.Errorf("freeze: no numbered layers (names like transformer.h.<i>., bert.encoder.layer.<i>., encoder.block.<i>.)")
	}
	for stack, c := range count {
		if n > c {
			return 0, fmt.Errorf("freeze: top n = %d, but %s has %d layers", n, stack, c)
		}
		frozen += c - n
	}
	order := map[string]int{}
	for i, v := range store.Vars() {
		order[v.Name] = i
	}
	err = store.SetTrainable(func(name string) bool {
		v, _ := store.Get(name)
		if stack, l, ok := layerOf(name); ok {
			return v.Trainable && l >= count[stack]-n
		}
		return v.Trainable && order[name] > first
	})
	return frozen, err
}

// layerOf splits name into its stack ("transformer.h") and layer index;
// ok is false outside the layers.
func layerOf(name string) (stack string, i int, ok bool) {
	m := layerIndex.FindStringSubmatch(name)
	if m == nil {
		return "", 0, false
	}
	i, err := strconv.Atoi(m[3])
	return m[1] + m[2], i, err == nil
}
