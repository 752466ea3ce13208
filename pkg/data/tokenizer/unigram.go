package tokenizer

import (
	"errors"
	"fmt"
	"math"
)

// unigram is HF's Unigram model (tokenizers/src/models/unigram/model.rs),
// SentencePiece's: every piece has a log-probability, and a word is cut into
// the pieces of highest total score (Viterbi over the lattice of pieces that
// match the word). A character no piece covers becomes unk, scored the
// lowest piece score minus 10 (kUnkPenalty); consecutive unks fuse into one
// token (fuse_unk, always on in HF). With byte_fallback an unknown token is
// spelled as <0xNN> pieces of its UTF-8 bytes instead, when they all exist.
type unigram struct {
	pieces       []string
	scores       []float64
	ids          map[string]int64 // piece → id; a repeated piece keeps its last id
	trie         runeTrie
	minScore     float64
	unkID        int64 // -1: none
	byteFallback bool
	byteIDs      [256]int64 // id of <0xNN>, -1 when missing
}

// UnigramPiece is one vocabulary entry of a Unigram model.
type UnigramPiece struct {
	Piece string
	Score float64
}

// kUnkPenalty is SentencePiece's penalty of an unknown character, below the lowest piece score.
const kUnkPenalty = 10.0

func newUnigram(vocab []UnigramPiece, unkID int64, byteFallback bool) (*unigram, error) {
	if len(vocab) == 0 {
		return nil, errors.New("the vocabulary is empty but at least <unk> is needed")
	}
	if unkID >= int64(len(vocab)) {
		return nil, fmt.Errorf("unk_id %d is not below the vocabulary size %d", unkID, len(vocab))
	}
	m := &unigram{
		pieces: make([]string, len(vocab)), scores: make([]float64, len(vocab)),
		ids: make(map[string]int64, len(vocab)), trie: newRuneTrie(), minScore: math.Inf(1),
		unkID: unkID, byteFallback: byteFallback,
	}
	for id, p := range vocab {
		if p.Piece == "" { // no text encodes to it, and its id would have no token (found by FuzzTokenizerJSON)
			return nil, fmt.Errorf("vocab[%d] is an empty piece", id)
		}
		m.pieces[id], m.scores[id] = p.Piece, p.Score
		m.ids[p.Piece] = int64(id)
		if p.Score < m.minScore { // NaN never compares below, as in HF
			m.minScore = p.Score
		}
	}
	for piece, id := range m.ids {
		m.trie.insert([]rune(piece), int32(id))
	}
	for b := range m.byteIDs {
		m.byteIDs[b] = -1
		if id, ok := m.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.byteIDs[b] = id
		}
	}
	return m, nil
}

// bestPath is the best segmentation ending at one position of the word.
type bestPath struct {
	score float64
	start int32 // -1: no path yet
	id    int32
}

// tokenize implements wordModel: encode_optimized's Viterbi, then
// Model::tokenize's lookup of each token (with byte fallback).
func (m *unigram) tokenize(word []rune) ([]piece, error) {
	if len(word) == 0 {
		return nil, nil
	}
	best := make([]bestPath, len(word)+1)
	for i := range best {
		best[i].start = -1
	}
	unkScore := m.minScore - kUnkPenalty
	for s := range word {
		base := best[s].score
		single := false
		node := int32(0)
		for e := s; e < len(word); e++ {
			var ok bool
			if node, ok = m.trie.next(node, word[e]); !ok {
				break
			}
			id := m.trie.ids[node]
			if id < 0 {
				continue
			}
			if cand := m.scores[id] + base; best[e+1].start < 0 || cand > best[e+1].score {
				best[e+1] = bestPath{score: cand, start: int32(s), id: id}
			}
			if e == s {
				single = true
			}
		}
		if !single {
			if cand := unkScore + base; best[s+1].start < 0 || cand > best[s+1].score {
				if m.unkID < 0 {
					return nil, fmt.Errorf("unigram: %q has a character outside the vocabulary and the model has no unk_id", string(word))
				}
				best[s+1] = bestPath{score: cand, start: int32(s), id: int32(m.unkID)}
			}
		}
	}
	return m.backtrack(word, best)
}

// backtrack reads the best path from the end, fusing runs of unk.
func (m *unigram) backtrack(word []rune, best []bestPath) ([]piece, error) {
	var out []piece
	unkEnd := -1 // end of the pending run of unks
	for end := len(word); end > 0; {
		b := best[end]
		isUnk := m.unkID >= 0 && int64(b.id) == m.unkID
		if !isUnk && unkEnd >= 0 {
			out = m.appendUnknown(out, word, end, unkEnd)
			unkEnd = -1
		}
		if isUnk {
			if unkEnd < 0 {
				unkEnd = end
			}
		} else {
			out = append(out, piece{id: int64(b.id), start: int(b.start), end: end})
		}
		end = int(b.start)
	}
	if unkEnd >= 0 {
		out = m.appendUnknown(out, word, 0, unkEnd)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// appendUnknown adds the token for word[start:end], a run of unknown
// characters, in reverse order: the piece if the fused string is one, else
// its <0xNN> bytes (all covering the whole run, as HF's offsets do), else unk.
func (m *unigram) appendUnknown(out []piece, word []rune, start, end int) []piece {
	s := string(word[start:end])
	if id, ok := m.ids[s]; ok {
		return append(out, piece{id: id, start: start, end: end})
	}
	if m.byteFallback {
		ids := make([]int64, 0, len(s))
		for i := 0; i < len(s); i++ {
			if m.byteIDs[s[i]] < 0 {
				ids = nil
				break
			}
			ids = append(ids, m.byteIDs[s[i]])
		}
		if ids != nil {
			for k := len(ids) - 1; k >= 0; k-- {
				out = append(out, piece{id: ids[k], start: start, end: end})
			}
			return out
		}
	}
	return append(out, piece{id: m.unkID, start: start, end: end})
}

// runeTrie is a trie over the runes of the pieces; an edge is one map entry
// keyed by (node, rune). HF's trie is over bytes, but pieces and words are
// valid UTF-8, so both find the same prefixes.
type runeTrie struct {
	edges map[uint64]int32
	ids   []int32 // piece id ending at each node, -1 for none
}

func newRuneTrie() runeTrie {
	return runeTrie{edges: map[uint64]int32{}, ids: []int32{-1}}
}

func edgeKey(node int32, r rune) uint64 { return uint64(node)<<32 | uint64(uint32(r)) }

func (t *runeTrie) insert(key []rune, id int32) {
	node := int32(0)
	for _, r := range key {
		next, ok := t.edges[edgeKey(node, r)]
		if !ok {
			next = int32(len(t.ids))
			t.ids = append(t.ids, -1)
			t.edges[edgeKey(node, r)] = next
		}
		node = next
	}
	t.ids[node] = id
}

func (t *runeTrie) next(node int32, r rune) (int32, bool) {
	n, ok := t.edges[edgeKey(node, r)]
	return n, ok
}
