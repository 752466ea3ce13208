package tokenizer

import (
	"cmp"
	"slices"
)

// seedPieces is UnigramTrainer::make_seed_sentence_pieces: every character
// of the words (weighted by word count), then the frequent substrings of the
// words, found as SentencePiece finds them. The distinct words are joined,
// each followed by NUL, into one string; a suffix array with its LCP array
// gives the internal nodes of the suffix tree (HF's esaxx: substrings
// occurring at least twice, each as long as it can be before the next
// characters differ); those of 2..maxLen characters without NUL are scored
// occurrences × length. Characters come first, by count, then substrings by
// score, until seedSize pieces; scores become log-probabilities. Ties
// follow HF's sort keys (count or score, then the text, both descending).
func seedPieces(words []string, counts []int64, maxLen, seedSize int) []UnigramPiece {
	var flat []int32
	chars := map[rune]int64{}
	for i, w := range words {
		if w == "" {
			continue
		}
		for _, r := range w {
			flat = append(flat, r)
			if r != 0 {
				chars[r] += counts[i]
			}
		}
		flat = append(flat, 0)
	}
	type charCount struct {
		r rune
		n int64
	}
	byCount := make([]charCount, 0, len(chars))
	for r, n := range chars {
		byCount = append(byCount, charCount{r, n})
	}
	slices.SortFunc(byCount, func(a, b charCount) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(b.r, a.r))
	})
	seeds := make([]UnigramPiece, 0, min(seedSize, len(byCount)+len(flat)))
	for _, c := range byCount {
		seeds = append(seeds, UnigramPiece{Piece: string(c.r), Score: float64(c.n)})
	}

	type substr struct {
		score      int64
		start, len int32
	}
	var subs []substr
	sa := suffixArray(flat)
	forEachRepeat(flat, sa, func(start, length, freq int32) {
		if length <= 1 || int(length) > maxLen || slices.Contains(flat[start:start+length], 0) {
			return
		}
		subs = append(subs, substr{score: int64(freq) * int64(length), start: start, len: length})
	})
	slices.SortFunc(subs, func(a, b substr) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return slices.Compare(flat[b.start:b.start+b.len], flat[a.start:a.start+a.len])
	})
	for _, s := range subs {
		if len(seeds) >= seedSize {
			break
		}
		rs := make([]rune, s.len)
		copy(rs, flat[s.start:s.start+s.len])
		seeds = append(seeds, UnigramPiece{Piece: string(rs), Score: float64(s.score)})
	}
	toLogProb(seeds)
	return seeds
}

// suffixArray sorts the suffixes of s by prefix doubling: each round orders
// them by their first 2k characters from the ranks of the first k (radix
// sort by the second half, then a stable counting sort by the first).
func suffixArray(s []int32) []int32 {
	n := len(s)
	sa := make([]int32, n)
	if n == 0 {
		return sa
	}
	rank, tmp, order := make([]int32, n), make([]int32, n), make([]int32, n)
	// Initial ranks: the characters, compressed to 0..m-1.
	for i := range sa {
		sa[i] = int32(i)
	}
	slices.SortFunc(sa, func(a, b int32) int { return cmp.Compare(s[a], s[b]) })
	for i := 1; i < n; i++ {
		rank[sa[i]] = rank[sa[i-1]]
		if s[sa[i]] != s[sa[i-1]] {
			rank[sa[i]]++
		}
	}
	count := make([]int32, n+1)
	for k := 1; rank[sa[n-1]] < int32(n-1); k <<= 1 {
		// Suffixes by second key: those with no second half first, then sa shifted.
		j := 0
		for i := n - k; i < n; i++ {
			order[j] = int32(i)
			j++
		}
		for _, p := range sa {
			if int(p) >= k {
				order[j] = p - int32(k)
				j++
			}
		}
		clear(count)
		for _, r := range rank {
			count[r+1]++
		}
		for i := 1; i <= n; i++ {
			count[i] += count[i-1]
		}
		for _, p := range order {
			sa[count[rank[p]]] = p
			count[rank[p]]++
		}
		second := func(p int32) int32 {
			if int(p)+k < n {
				return rank[int(p)+k]
			}
			return -1
		}
		tmp[sa[0]] = 0
		for i := 1; i < n; i++ {
			a, b := sa[i-1], sa[i]
			tmp[b] = tmp[a]
			if rank[a] != rank[b] || second(a) != second(b) {
				tmp[b]++
			}
		}
		rank, tmp = tmp, rank
		if k >= n {
			break
		}
	}
	return sa
}

// forEachRepeat calls f for every internal node of the suffix tree of s,
// as esaxx's suffixtree() enumerates them: start and length of the
// substring in s and the number of its occurrences. heights[i] is the LCP of
// suffixes sa[i-1] and sa[i] (Kasai et al.); heights[0] compares sa[0] with
// the last suffix, as esaxx's Psi array does.
func forEachRepeat(s, sa []int32, f func(start, length, freq int32)) {
	n := len(s)
	if n == 0 {
		return
	}
	rank := make([]int32, n)
	for i, p := range sa {
		rank[p] = int32(i)
	}
	heights := make([]int32, n)
	h := 0
	for i := 0; i < n; i++ {
		prev := sa[n-1]
		if rank[i] > 0 {
			prev = sa[rank[i]-1]
		}
		for i+h < n && int(prev)+h < n && s[i+h] == s[int(prev)+h] {
			h++
		}
		heights[rank[i]] = int32(h)
		if h > 0 {
			h--
		}
	}
	type entry struct{ left, depth int32 }
	stack := []entry{{-1, -1}}
	nodes := 0
	for i := 0; ; i++ {
		cur := entry{int32(i), -1}
		if i < n {
			cur.depth = heights[i]
		}
		cand := stack[len(stack)-1]
		for cand.depth > cur.depth {
			if int32(i)-cand.left > 1 {
				f(sa[cand.left], cand.depth, int32(i)-cand.left)
				if nodes++; nodes >= n {
					return
				}
			}
			cur.left = cand.left
			stack = stack[:len(stack)-1]
			cand = stack[len(stack)-1]
		}
		if cand.depth < cur.depth {
			stack = append(stack, cur)
		}
		if i == n {
			return
		}
		stack = append(stack, entry{int32(i), int32(n) - sa[i] + 1})
	}
}
