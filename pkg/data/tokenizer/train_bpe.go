package tokenizer

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// bpeConfig is HF's BpeTrainer (tokenizers/src/models/bpe/trainer.rs), which
// both the WordPiece and the byte-level BPE trainers run.
type bpeConfig struct {
	vocabSize      int
	minFrequency   int64
	specials       []string
	limitAlphabet  int    // 0: keep every character
	initial        []rune // characters kept whatever their count (ByteLevel's 256)
	prefix         string // continuing_subword_prefix ("##" for WordPiece), "" for none
	maxTokenLength int    // 0: no limit
	order          *hfOrder
}

// hfOrder replays the two choices HF leaves to Rust's randomly seeded
// HashMap iteration order (tokenizers issue #1794), so a test can reproduce
// one recorded HF run exactly. Without it the trainer decides by code point.
type hfOrder struct {
	kept    map[rune]bool  // characters tied at the limit_alphabet cut that HF kept
	subword map[string]int // rank of each prefixed character token (its HF id)
}

// bpeResult is the trained vocabulary (index = id) and the merges in rank order.
type bpeResult struct {
	vocab  []string
	merges [][2]string
}

// pairKey packs a pair of token ids; its numeric order is HF's Pair order.
type pairKey uint64

func pairOf(a, b int32) pairKey       { return pairKey(uint64(uint32(a))<<32 | uint64(uint32(b))) }
func (p pairKey) ids() (int32, int32) { return int32(uint32(p >> 32)), int32(uint32(p)) }

// trainBPE learns merges from word counts, step by step as HF does: special
// tokens, then the alphabet, then the prefixed characters get ids; pair
// counts fill a priority queue (count, then smaller pair first), and each
// merge updates the counts of the words that held the pair. The result
// depends on the counts alone, never on the order words come in.
func trainBPE(words map[string]int64, c bpeConfig, progress func(vocab int)) bpeResult {
	v := newTrainVocab(c.vocabSize)
	for _, s := range c.specials {
		v.add(s)
	}
	v.addAlphabet(words, c)
	ws, counts := v.splitWords(words, c)

	q := &mergeQueue{}
	pairCounts, where := countPairs(ws, counts)
	for p, pos := range where {
		if n := pairCounts[p]; n > 0 {
			q.push(mergeEntry{pair: p, count: uint64(n), pos: pos})
		}
	}
	maxLen := c.maxTokenLength
	if maxLen <= 0 {
		maxLen = math.MaxInt
	}
	var merges [][2]int32
	var changes []pairChange
	for len(v.ids) < c.vocabSize && q.len() > 0 {
		top := q.pop()
		if now := uint64(pairCounts[top.pair]); top.count != now {
			// A stale entry goes back with today's count (HF casts the i32 count the same way).
			top.count = now
			q.push(top)
			continue
		}
		if top.count < 1 || uint64(c.minFrequency) > top.count {
			break
		}
		a, b := top.pair.ids()
		right := v.tokens[b]
		if c.prefix != "" {
			right = strings.TrimPrefix(right, c.prefix)
		}
		newID := v.add(v.tokens[a] + right)
		merges = append(merges, [2]int32{a, b})

		changes = changes[:0]
		for _, i := range top.pos {
			changes = ws[i].merge(a, b, newID, maxLen, i, changes)
		}
		where = map[pairKey][]int32{}
		for _, ch := range changes {
			pairCounts[ch.pair] += int64(ch.delta) * counts[ch.word]
			if ch.delta > 0 {
				if pos := where[ch.pair]; len(pos) == 0 || pos[len(pos)-1] != ch.word {
					where[ch.pair] = append(pos, ch.word)
				}
			}
		}
		for p, pos := range where {
			if n := pairCounts[p]; n > 0 {
				q.push(mergeEntry{pair: p, count: uint64(n), pos: pos})
			}
		}
		if progress != nil {
			progress(len(v.ids))
		}
	}
	return bpeResult{vocab: v.tokens, merges: mergeStrings(v.tokens, merges)}
}

// mergeStrings spells the merges out. A pair merged twice (two merges can
// make the same token string) keeps only its last rank, as HF's merge map does.
func mergeStrings(tokens []string, merges [][2]int32) [][2]string {
	last := make(map[[2]int32]int, len(merges))
	for i, m := range merges {
		last[m] = i
	}
	out := make([][2]string, 0, len(last))
	for i, m := range merges {
		if last[m] == i {
			out = append(out, [2]string{tokens[m[0]], tokens[m[1]]})
		}
	}
	return out
}

// trainVocab is HF's word_to_id / id_to_word pair.
type trainVocab struct {
	ids    map[string]int32
	tokens []string
}

func newTrainVocab(size int) *trainVocab {
	return &trainVocab{ids: make(map[string]int32, size), tokens: make([]string, 0, size)}
}

// add returns the id of tok, giving it the next id if it is new.
func (v *trainVocab) add(tok string) int32 {
	if id, ok := v.ids[tok]; ok {
		return id
	}
	id := int32(len(v.tokens))
	v.ids[tok] = id
	v.tokens = append(v.tokens, tok)
	return id
}

// addAlphabet mirrors compute_alphabet: every character of the words,
// weighted by word count, plus the initial alphabet at the maximum count;
// with a limit, the least frequent characters go, and those kept get ids in
// code point order.
func (v *trainVocab) addAlphabet(words map[string]int64, c bpeConfig) {
	count := map[rune]uint64{}
	for w, n := range words {
		for _, r := range w {
			count[r] += uint64(n)
		}
	}
	for _, r := range c.initial {
		count[r] = math.MaxUint64
	}
	type charCount struct {
		r rune
		n uint64
	}
	kept := make([]charCount, 0, len(count))
	for r, n := range count {
		kept = append(kept, charCount{r, n})
	}
	if c.limitAlphabet > 0 && len(kept) > c.limitAlphabet {
		// HF sorts by count alone and drops the first; among equal counts
		// the order is HashMap order. Here higher code points go first.
		rank := func(x charCount) int {
			if c.order != nil && c.order.kept[x.r] {
				return 1
			}
			return 0
		}
		slices.SortFunc(kept, func(x, y charCount) int {
			return cmp.Or(cmp.Compare(x.n, y.n), cmp.Compare(rank(x), rank(y)), cmp.Compare(y.r, x.r))
		})
		kept = kept[len(kept)-c.limitAlphabet:]
	}
	slices.SortFunc(kept, func(x, y charCount) int { return cmp.Compare(x.r, y.r) })
	for _, k := range kept {
		v.add(string(k.r))
	}
}

// splitWords mirrors tokenize_words: each word becomes the ids of its
// characters (characters outside the alphabet are dropped), every character
// but the first with the prefix. HF gives the prefixed tokens ids in the
// HashMap order of the words; here they go in code point order.
func (v *trainVocab) splitWords(words map[string]int64, c bpeConfig) ([]trainWord, []int64) {
	if c.prefix != "" {
		need := map[string]bool{}
		for w := range words {
			for i, r := range w {
				if _, ok := v.ids[string(r)]; ok && i > 0 {
					need[c.prefix+string(r)] = true
				}
			}
		}
		sub := make([]string, 0, len(need))
		for s := range need {
			if _, ok := v.ids[s]; !ok {
				sub = append(sub, s)
			}
		}
		rank := func(s string) int {
			if c.order != nil {
				if r, ok := c.order.subword[s]; ok {
					return r
				}
			}
			return math.MaxInt
		}
		slices.SortFunc(sub, func(x, y string) int { return cmp.Or(cmp.Compare(rank(x), rank(y)), strings.Compare(x, y)) })
		for _, s := range sub {
			v.add(s)
		}
	}
	ws := make([]trainWord, 0, len(words))
	counts := make([]int64, 0, len(words))
	for w, n := range words {
		tw := trainWord{syms: make([]int32, 0, utf8.RuneCountInString(w))}
		for i, r := range w {
			s := string(r)
			if _, ok := v.ids[s]; !ok {
				continue
			}
			if i > 0 && c.prefix != "" {
				s = c.prefix + s
			}
			tw.syms = append(tw.syms, v.ids[s])
		}
		if c.maxTokenLength > 0 {
			tw.lens = make([]int32, len(tw.syms))
			for i := range tw.lens {
				tw.lens[i] = 1 // characters, as HF's Word::add(id, 1)
			}
		}
		ws = append(ws, tw)
		counts = append(counts, n)
	}
	return ws, counts
}

// countPairs mirrors count_pairs: the weighted count of every adjacent pair
// and the words it occurs in (each word once, in increasing order).
func countPairs(ws []trainWord, counts []int64) (map[pairKey]int64, map[pairKey][]int32) {
	pairCounts := map[pairKey]int64{}
	where := map[pairKey][]int32{}
	for i, w := range ws {
		for k := 0; k+1 < len(w.syms); k++ {
			p := pairOf(w.syms[k], w.syms[k+1])
			pairCounts[p] += counts[i]
			if pos := where[p]; len(pos) == 0 || pos[len(pos)-1] != int32(i) {
				where[p] = append(pos, int32(i))
			}
		}
	}
	return pairCounts, where
}

// trainWord is a word as token ids; lens holds their lengths in characters
// when a maximum token length applies.
type trainWord struct {
	syms []int32
	lens []int32
}

// pairChange is one change to a pair's count in one word.
type pairChange struct {
	pair  pairKey
	delta int32
	word  int32
}

// merge replaces every occurrence of (a, b), left to right, with id and
// appends the pair changes, as Word::merge does: the pairs with the left and
// right neighbours lose one, and the pairs with the new token gain one
// unless the token would reach maxLen characters. The merged pair's own count
// is left alone.
func (w *trainWord) merge(a, b, id int32, maxLen int, word int32, changes []pairChange) []pairChange {
	syms, lens := w.syms, w.lens
	out := 0
	for i := 0; i < len(syms); i++ {
		if syms[i] != a || i+1 >= len(syms) || syms[i+1] != b {
			syms[out] = syms[i]
			if lens != nil {
				lens[out] = lens[i]
			}
			out++
			continue
		}
		newLen := 2 // characters, only compared when lens is kept
		if lens != nil {
			newLen = int(lens[i] + lens[i+1])
		}
		if out > 0 {
			prev := syms[out-1]
			changes = append(changes, pairChange{pairOf(prev, a), -1, word})
			if lens == nil || int(lens[out-1])+newLen < maxLen {
				changes = append(changes, pairChange{pairOf(prev, id), 1, word})
			}
		}
		if i+2 < len(syms) {
			next := syms[i+2]
			changes = append(changes, pairChange{pairOf(b, next), -1, word})
			if lens == nil || int(lens[i+2])+newLen < maxLen {
				changes = append(changes, pairChange{pairOf(id, next), 1, word})
			}
		}
		syms[out] = id
		if lens != nil {
			lens[out] = int32(newLen)
		}
		out++
		i++
	}
	w.syms = syms[:out]
	if lens != nil {
		w.lens = lens[:out]
	}
	return changes
}

// mergeEntry is HF's Merge: a pair, its count when queued, and the words to
// look in.
type mergeEntry struct {
	pair  pairKey
	count uint64
	seq   uint64 // queue order; breaks ties between entries of one pair
	pos   []int32
}

// before is HF's Merge ordering: higher count first, then the smaller pair.
func (x *mergeEntry) before(y *mergeEntry) bool {
	if x.count != y.count {
		return x.count > y.count
	}
	if x.pair != y.pair {
		return x.pair < y.pair
	}
	return x.seq < y.seq
}

// mergeQueue is a binary heap of merge entries (HF's BinaryHeap<Merge>).
type mergeQueue struct {
	h   []mergeEntry
	seq uint64
}

func (q *mergeQueue) len() int { return len(q.h) }

func (q *mergeQueue) push(e mergeEntry) {
	q.seq++
	e.seq = q.seq
	q.h = append(q.h, e)
	for i := len(q.h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !q.h[i].before(&q.h[parent]) {
			break
		}
		q.h[i], q.h[parent] = q.h[parent], q.h[i]
		i = parent
	}
}

func (q *mergeQueue) pop() mergeEntry {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h[last] = mergeEntry{}
	q.h = q.h[:last]
	for i := 0; ; {
		l, r, best := 2*i+1, 2*i+2, i
		if l < len(q.h) && q.h[l].before(&q.h[best]) {
			best = l
		}
		if r < len(q.h) && q.h[r].before(&q.h[best]) {
			best = r
		}
		if best == i {
			break
		}
		q.h[i], q.h[best] = q.h[best], q.h[i]
		i = best
	}
	return top
}

// checkBPEConfig rejects settings HF would reject or could not train with.
func checkBPEConfig(c bpeConfig) error {
	switch {
	case c.vocabSize <= 0:
		return fmt.Errorf("vocab size %d: want > 0", c.vocabSize)
	case c.minFrequency < 0:
		return fmt.Errorf("min frequency %d: want ≥ 0", c.minFrequency)
	case c.limitAlphabet < 0:
		return fmt.Errorf("limit alphabet %d: want ≥ 0 (0 keeps every character)", c.limitAlphabet)
	case c.maxTokenLength < 0:
		return fmt.Errorf("max token length %d: want ≥ 0 (0: no limit)", c.maxTokenLength)
	}
	for _, s := range c.specials {
		if s == "" {
			return fmt.Errorf("special tokens: empty token")
		}
	}
	return nil // a repeated special token keeps its first id, as in HF
}
