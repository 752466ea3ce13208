package tokenizer

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/sugarme/tokenizer/pretokenizer"
)

// byteLevelBPE is GPT-2's byte-level BPE model (HF tokenizers' BPE model
// behind a ByteLevel pre-tokenizer). It is written here rather than taken from
// sugarme/tokenizer because that model breaks ties between equal-rank merges
// by an unset field; HF merges the lowest rank first and, among equal ranks,
// the leftmost pair (word.rs merge_all).
type byteLevelBPE struct {
	merges map[[2]int64]merge
	byteID [256]int64 // id of the one-byte token for every byte
	// whole is the vocabulary when the model ignores merges (ignore_merges,
	// Llama 3's): a word that is a token is that token, whatever the merges.
	whole map[string]int64

	mu    sync.Mutex
	cache map[string][]piece // word → pieces with byte ranges, bounded like HF's cache
}

// merge is what a pair of adjacent tokens becomes.
type merge struct {
	rank int
	id   int64
}

const bpeCacheSize = 10000 // HF's DEFAULT_CACHE_CAPACITY

// newByteLevelBPE checks that the vocabulary holds every byte and every merge
// result; pairs are "a b" merge lines in rank order, line numbers for errors.
func newByteLevelBPE(vocab map[string]int64, pairs []mergeLine, mergesFile string) (*byteLevelBPE, error) {
	m := &byteLevelBPE{merges: make(map[[2]int64]merge, len(pairs)), cache: map[string][]piece{}}
	for b := 0; b < 256; b++ {
		tok := pretokenizer.BytesChar[uint8(b)]
		id, ok := vocab[tok]
		if !ok {
			return nil, fmt.Errorf("byte-level BPE: vocabulary lacks the token %q for byte %#x", tok, b)
		}
		m.byteID[b] = id
	}
	for rank, p := range pairs {
		a, okA := vocab[p.a]
		b, okB := vocab[p.b]
		id, okAB := vocab[p.a+p.b]
		if !okA || !okB || !okAB {
			return nil, fmt.Errorf("%s:%d: merge %q %q: token not in vocabulary", mergesFile, p.line, p.a, p.b)
		}
		// A repeated pair keeps its last rank, as HF's HashMap collect does.
		m.merges[[2]int64{a, b}] = merge{rank: rank, id: id}
	}
	return m, nil
}

// tokenize splits one pre-tokenized word into tokens whose ranges are in
// runes of the word. A token holding part of a multi-byte rune covers that
// whole rune, as HF's byte-level offsets do.
func (m *byteLevelBPE) tokenize(word []rune) ([]piece, error) {
	runeAt := make([]int, 0, len(word)*3) // rune index of every byte
	for i, r := range word {
		for range utf8.RuneLen(r) {
			runeAt = append(runeAt, i)
		}
	}
	if m.whole != nil {
		if id, ok := m.whole[byteLevelString(string(word))]; ok {
			return []piece{{id: id, start: 0, end: len(word)}}, nil
		}
	}
	pieces := m.cachedMerge(string(word))
	out := make([]piece, len(pieces))
	for i, p := range pieces {
		out[i] = piece{id: p.id, start: runeAt[p.start], end: runeAt[p.end-1] + 1}
	}
	return out, nil
}

// cachedMerge returns the tokens of word with byte ranges.
func (m *byteLevelBPE) cachedMerge(word string) []piece {
	m.mu.Lock()
	cached, ok := m.cache[word]
	m.mu.Unlock()
	if ok {
		return cached
	}
	pieces := m.mergeWord(word)
	m.mu.Lock()
	if len(m.cache) < bpeCacheSize {
		m.cache[word] = pieces
	}
	m.mu.Unlock()
	return pieces
}

// mergeWord applies merges to the bytes of word until none applies: each round
// merges the pair of lowest rank, the leftmost one among equals.
func (m *byteLevelBPE) mergeWord(word string) []piece {
	pieces := make([]piece, len(word))
	for i := 0; i < len(word); i++ {
		pieces[i] = piece{id: m.byteID[word[i]], start: i, end: i + 1}
	}
	for len(pieces) > 1 {
		best, bestAt := merge{rank: -1}, -1
		for i := 0; i+1 < len(pieces); i++ {
			mg, ok := m.merges[[2]int64{pieces[i].id, pieces[i+1].id}]
			if ok && (bestAt < 0 || mg.rank < best.rank) {
				best, bestAt = mg, i
			}
		}
		if bestAt < 0 {
			break
		}
		pieces[bestAt] = piece{id: best.id, start: pieces[bestAt].start, end: pieces[bestAt+1].end}
		pieces = append(pieces[:bestAt+1], pieces[bestAt+2:]...)
	}
	return pieces
}

// byteLevelString maps raw bytes to GPT-2's printable byte alphabet
// (bytes_to_unicode in OpenAI's encoder.py), as the ByteLevel pre-tokenizer does.
func byteLevelString(s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		out = append(out, pretokenizer.BytesChar[s[i]]...)
	}
	return string(out)
}
