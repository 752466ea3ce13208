package tokenizer

import (
	"fmt"
	"runtime"
	"sync"
	"unicode/utf8"
)

// wordSplitter turns one text into pre-tokenized words (normalized and
// split as the tokenizer being trained will do it), passing each to add.
// The bytes passed to add are only valid during the call.
type wordSplitter func(text string, add func(word []byte))

// wordTable counts words without allocating for words already seen.
type wordTable struct {
	index  map[string]int32
	words  []string
	counts []int64
}

func newWordTable() *wordTable { return &wordTable{index: map[string]int32{}} }

func (t *wordTable) add(w []byte, n int64) {
	if i, ok := t.index[string(w)]; ok { // no allocation for the lookup
		t.counts[i] += n
		return
	}
	s := string(w)
	t.index[s] = int32(len(t.words))
	t.words = append(t.words, s)
	t.counts = append(t.counts, n)
}

// countWords is HF's Trainer::feed: every text is split into words and
// equal words are counted together. Texts are split on `workers`
// goroutines (pure Go, no tensors); the counts do not depend on the order.
// It also returns the number of texts.
func countWords(src Source, workers int, split wordSplitter) (map[string]int64, int, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const batchBytes = 256 << 10
	batches := make(chan []string, 2*workers)
	tables := make([]*wordTable, workers)
	var wg sync.WaitGroup
	for k := range workers {
		tables[k] = newWordTable()
		wg.Add(1)
		go func(t *wordTable) {
			defer wg.Done()
			add := func(w []byte) { t.add(w, 1) }
			for batch := range batches {
				for _, text := range batch {
					split(text, add)
				}
			}
		}(tables[k])
	}
	var batch []string
	size, n := 0, 0
	err := src(func(text string) error {
		n++
		if !utf8.ValidString(text) {
			return fmt.Errorf("text %d is not valid UTF-8 at byte %d", n, invalidUTF8At(text))
		}
		batch = append(batch, text)
		if size += len(text); size >= batchBytes {
			batches <- batch
			batch, size = nil, 0
		}
		return nil
	})
	if len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	if err != nil {
		return nil, n, err
	}
	all := tables[0]
	for _, t := range tables[1:] {
		for i, w := range t.words {
			all.add([]byte(w), t.counts[i])
		}
	}
	out := make(map[string]int64, len(all.words))
	for i, w := range all.words {
		out[w] = all.counts[i]
	}
	return out, n, nil
}
