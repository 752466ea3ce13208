package tokenizer

import "math"

// lattice is HF's unigram Lattice (models/unigram/lattice.rs) over the runes
// of one word, as the trainer uses it: every piece matching at every
// position, unk (id 0) where no one-character piece does, plus BOS and EOS.
// Nodes are stored flat; begin[p] and end[p] list the nodes starting and
// ending at rune p, in insertion order as in HF.
type lattice struct {
	n          int // runes in the word
	nodes      []latticeNode
	begin, end [][]int32
}

type latticeNode struct {
	id        int32 // piece id; -1 for BOS, -2 for EOS
	pos, len  int32
	score     float64
	prev      int32 // Viterbi back-pointer
	backScore float64
}

const (
	bosID = -1
	eosID = -2
)

// reset builds the lattice of word for a model of pieces and scores.
func (l *lattice) reset(word []rune, trie *runeTrie, scores []float64, unkScore float64) {
	n := len(word)
	l.n = n
	l.nodes = l.nodes[:0]
	for len(l.begin) < n+1 {
		l.begin = append(l.begin, nil)
		l.end = append(l.end, nil)
	}
	for p := 0; p <= n; p++ {
		l.begin[p], l.end[p] = l.begin[p][:0], l.end[p][:0]
	}
	l.add(bosID, 0, 0, 0, false)
	l.add(eosID, int32(n), 0, 0, false)
	for s := 0; s < n; s++ {
		single := false
		node := int32(0)
		for e := s; e < n; e++ {
			var ok bool
			if node, ok = trie.next(node, word[e]); !ok {
				break
			}
			if id := trie.ids[node]; id >= 0 {
				l.add(id, int32(s), int32(e-s+1), scores[id], true)
				single = single || e == s
			}
		}
		if !single {
			l.add(0, int32(s), 1, unkScore, true)
		}
	}
}

// add inserts a node; BOS only ends (at 0) and EOS only begins (at n).
func (l *lattice) add(id, pos, length int32, score float64, piece bool) {
	k := int32(len(l.nodes))
	l.nodes = append(l.nodes, latticeNode{id: id, pos: pos, len: length, score: score, prev: -1})
	switch {
	case id == bosID:
		l.end[0] = append(l.end[0], k)
	case id == eosID:
		l.begin[pos] = append(l.begin[pos], k)
	case piece:
		l.begin[pos] = append(l.begin[pos], k)
		l.end[pos+length] = append(l.end[pos+length], k)
	}
}

// logSumExp is HF's log_sum_exp: y alone in init mode, else log(e^x + e^y)
// with differences beyond 50 ignored.
func logSumExp(x, y float64, init bool) float64 {
	if init {
		return y
	}
	lo, hi := x, y
	if x > y {
		lo, hi = y, x
	}
	if hi > lo+50 {
		return hi
	}
	return hi + math.Log(math.Exp(lo-hi)+1)
}

// marginal is Lattice::populate_marginal: forward-backward, adding
// freq × the posterior of every node to expected[id]; it returns freq × log Z.
// HF's init mode compares nodes by piece id, not identity; so does this.
func (l *lattice) marginal(freq float64, expected []float64, alpha, beta []float64) float64 {
	n := l.n
	for p := 0; p <= n; p++ {
		for _, r := range l.begin[p] {
			for _, lk := range l.end[p] {
				first := l.nodes[l.end[p][0]].id
				alpha[r] = logSumExp(alpha[r], l.nodes[lk].score+alpha[lk], l.nodes[lk].id == first)
			}
		}
	}
	for p := n; p >= 0; p-- {
		for _, lk := range l.end[p] {
			for _, r := range l.begin[p] {
				first := l.nodes[l.begin[p][0]].id
				beta[lk] = logSumExp(beta[lk], l.nodes[r].score+beta[r], l.nodes[r].id == first)
			}
		}
	}
	z := alpha[l.begin[n][0]]
	for p := 0; p < n; p++ {
		for _, k := range l.begin[p] {
			nd := &l.nodes[k]
			expected[nd.id] += freq * math.Exp(alpha[k]+nd.score+beta[k]-z)
		}
	}
	return freq * z
}

// viterbi is Lattice::viterbi: the best path's nodes (without BOS and EOS),
// nil if there is none. skip, when ≥ 0, is a node left out of the lattice
// (the trainer's second-best segmentation of a piece).
func (l *lattice) viterbi(skip int32) []int32 {
	n := l.n
	for p := 0; p <= n; p++ {
		for _, r := range l.begin[p] {
			if r == skip {
				continue
			}
			best, bestScore := int32(-1), 0.0
			for _, lk := range l.end[p] {
				if lk == skip || p > 0 && l.nodes[lk].prev < 0 && l.nodes[lk].id != bosID {
					continue // unreachable
				}
				if s := l.nodes[lk].backScore + l.nodes[r].score; best < 0 || s > bestScore {
					best, bestScore = lk, s
				}
			}
			l.nodes[r].prev, l.nodes[r].backScore = best, bestScore
		}
	}
	eos := l.begin[n][0]
	var path []int32
	for k := l.nodes[eos].prev; k >= 0 && l.nodes[k].id != bosID; k = l.nodes[k].prev {
		path = append(path, k)
	}
	if l.nodes[eos].prev < 0 {
		return nil
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}
