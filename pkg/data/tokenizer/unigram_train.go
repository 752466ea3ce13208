package tokenizer

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// UnigramOptions are SentencePieceUnigramTokenizer's constructor and train()
// arguments (tokenizers/implementations/sentencepiece_unigram.py) and the
// UnigramTrainer settings it leaves at their defaults; DefaultUnigramOptions
// gives HF's values.
type UnigramOptions struct {
	VocabSize       int      // final size, special tokens included (8000)
	SpecialTokens   []string // get the first ids, in order (none)
	UnkToken        string   // the model's unk; added first unless among SpecialTokens ("": no unk, as HF's None)
	InitialAlphabet []rune   // characters kept even if unseen
	Replacement     rune     // Metaspace replacement (▁)
	AddPrefixSpace  bool     // Metaspace prepend_scheme always (true) or never

	ShrinkingFactor float64 // share of pieces kept by each pruning (0.75)
	MaxPieceLength  int     // longest piece in characters (16)
	SubIterations   int     // EM iterations between prunings (2)
	SeedSize        int     // pieces of the initial vocabulary (1,000,000)

	Workers  int                      // goroutines for the E-step; 0: GOMAXPROCS (pure Go, no tensors)
	Progress func(pieces, target int) // called after every EM iteration; may be nil
}

// DefaultUnigramOptions are SentencePieceUnigramTokenizer.train's defaults.
func DefaultUnigramOptions() UnigramOptions {
	return UnigramOptions{
		VocabSize: 8000, Replacement: '▁', AddPrefixSpace: true,
		ShrinkingFactor: 0.75, MaxPieceLength: 16, SubIterations: 2, SeedSize: 1_000_000,
	}
}

func (o UnigramOptions) validate() error {
	switch {
	case o.VocabSize <= 0:
		return fmt.Errorf("vocab size %d: must be positive", o.VocabSize)
	case o.ShrinkingFactor <= 0 || o.ShrinkingFactor >= 1:
		return fmt.Errorf("shrinking factor %g: must be in (0, 1)", o.ShrinkingFactor)
	case o.MaxPieceLength < 1:
		return fmt.Errorf("max piece length %d: must be at least 1", o.MaxPieceLength)
	case o.SubIterations < 1:
		return fmt.Errorf("sub-iterations %d: must be at least 1", o.SubIterations)
	case o.SeedSize < 1:
		return fmt.Errorf("seed size %d: must be at least 1", o.SeedSize)
	case o.Replacement == 0:
		return errors.New("metaspace replacement: empty")
	}
	return nil
}

// pipeline is the tokenizer a Unigram model is trained for and saved with:
// SentencePieceUnigramTokenizer's Nmt, NFKC and " {2,}" → " " normalizer
// and its Metaspace pre-tokenizer and decoder.
func (o UnigramOptions) pipeline() (normalizer, metaspace) {
	scheme := prependNever
	if o.AddPrefixSpace {
		scheme = prependAlways
	}
	spaces, _ := newReplacePattern(nil, ptr(" {2,}"))
	n := normalizerSeq{nmtNormalizer{}, unicodeForm{compat: true, compose: true}, replaceNormalizer{pattern: spaces, content: []rune(" ")}}
	return n, metaspace{replacement: o.Replacement, scheme: scheme, split: true}
}

func ptr[T any](v T) *T { return &v }

// TrainedUnigram is a trained Unigram model; Save writes it in HF's layout.
type TrainedUnigram struct {
	Pieces  []UnigramPiece // by id: special tokens first, then pieces by score
	UnkID   int            // -1: none
	Special []string       // special tokens, the first ids
	Texts   int            // texts trained on
	Words   int            // distinct pre-tokenized words in them

	opts UnigramOptions
}

// TrainUnigram trains a Unigram model on the texts src emits (a Source) as
// HF's UnigramTrainer does under SentencePieceUnigramTokenizer.train: texts
// are normalized and split by Metaspace, words are counted, seed pieces
// come from a suffix array (seedPieces), and EM rounds (E: expected piece
// counts by forward-backward on each word's lattice; M: Bayesian update with
// digamma, dropping pieces expected less than 0.5 times) alternate with
// pruning the pieces whose removal costs the least likelihood, until 1.1 ×
// the vocabulary size is left; the final vocabulary keeps every character.
// Ties and HF's HashMap orders differ, so the vocabulary is close to HF's,
// not equal (TestTrainUnigramVsHF measures how close).
func TrainUnigram(src func(emit func(text string) error) error, o UnigramOptions) (*TrainedUnigram, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("train unigram: %w", err)
	}
	norm, meta := o.pipeline()
	counts := map[string]int64{}
	texts := 0
	err := src(func(text string) error {
		texts++
		t := norm.normalize(newNormText([]rune(text), 0))
		for _, w := range meta.preTokenize(t, 0) {
			counts[string(w.runes)]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("train unigram: %w", err)
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	slices.Sort(words) // HF iterates a HashMap; a fixed order keeps runs reproducible
	freqs := make([]int64, len(words))
	for i, w := range words {
		freqs[i] = counts[w]
	}
	tr := &unigramTrainer{o: o, words: make([][]rune, len(words)), freqs: freqs}
	for i, w := range words {
		tr.words[i] = []rune(w)
	}
	pieces, err := tr.train()
	if err != nil {
		return nil, fmt.Errorf("train unigram: %w", err)
	}
	out, unk := tr.finalize(pieces)
	return &TrainedUnigram{Pieces: out, UnkID: unk, Special: tr.specials(), Texts: texts, Words: len(words), opts: o}, nil
}

type unigramTrainer struct {
	o     UnigramOptions
	words [][]rune
	freqs []int64
	model *unigram // the pieces of the current round, id 0 the training <UNK>
}

// specials is the special tokens in id order: unk first when it is not one of them.
func (tr *unigramTrainer) specials() []string {
	out := dedupeStrings(tr.o.SpecialTokens)
	if tr.o.UnkToken != "" && !slices.Contains(out, tr.o.UnkToken) {
		out = append([]string{tr.o.UnkToken}, out...)
	}
	return out
}

func dedupeStrings(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// requiredChars are the characters of the words and the initial alphabet.
func (tr *unigramTrainer) requiredChars() []rune {
	set := map[rune]bool{}
	for _, w := range tr.words {
		for _, r := range w {
			set[r] = true
		}
	}
	for _, r := range tr.o.InitialAlphabet {
		set[r] = true
	}
	out := make([]rune, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// train is UnigramTrainer::do_train up to finalize.
func (tr *unigramTrainer) train() ([]UnigramPiece, error) {
	if n := len(tr.requiredChars()); n > tr.o.VocabSize {
		return nil, fmt.Errorf("the vocabulary size %d cannot hold the %d characters of the corpus", tr.o.VocabSize, n)
	}
	strs := make([]string, len(tr.words))
	for i, w := range tr.words {
		strs[i] = string(w)
	}
	pieces := append([]UnigramPiece{{Piece: "<UNK>", Score: math.NaN()}}, seedPieces(strs, tr.freqs, tr.o.MaxPieceLength, tr.o.SeedSize)...)
	desired := tr.o.VocabSize * 11 / 10
	for {
		for range tr.o.SubIterations {
			if err := tr.setModel(pieces); err != nil {
				return nil, err
			}
			pieces = mStep(pieces, tr.eStep())
			if tr.o.Progress != nil {
				tr.o.Progress(len(pieces), tr.o.VocabSize)
			}
		}
		if err := tr.setModel(pieces); err != nil {
			return nil, err
		}
		if len(pieces) <= desired {
			return pieces, nil
		}
		before := len(pieces)
		if pieces = tr.prune(pieces); len(pieces) == before {
			// Nothing could go (HF would loop here for ever); finalize
			// cuts the vocabulary to size by score instead.
			return pieces, nil
		}
	}
}

func (tr *unigramTrainer) setModel(pieces []UnigramPiece) error {
	m, err := newUnigram(pieces, 0, false)
	tr.model = m
	return err
}

// forWords runs f over the words on the configured number of goroutines,
// each with its own lattice and state; the states come back in chunk order.
func forWords[S any](tr *unigramTrainer, newState func() S, f func(s S, l *lattice, i int)) []S {
	workers := tr.o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(tr.words)))
	states := make([]S, workers)
	chunk := (len(tr.words) + workers - 1) / workers
	var wg sync.WaitGroup
	for k := range workers {
		states[k] = newState()
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			var l lattice
			for i := k * chunk; i < min(len(tr.words), (k+1)*chunk); i++ {
				f(states[k], &l, i)
			}
		}(k)
	}
	wg.Wait()
	return states
}

func (tr *unigramTrainer) unkScore() float64 { return tr.model.minScore - kUnkPenalty }

// eStep is run_e_step: the expected count of every piece.
func (tr *unigramTrainer) eStep() []float64 {
	type state struct{ expected, alpha, beta []float64 }
	n := len(tr.model.pieces)
	states := forWords(tr, func() *state { return &state{expected: make([]float64, n)} }, func(s *state, l *lattice, i int) {
		l.reset(tr.words[i], &tr.model.trie, tr.model.scores, tr.unkScore())
		s.alpha = resize(s.alpha, len(l.nodes))
		s.beta = resize(s.beta, len(l.nodes))
		l.marginal(float64(tr.freqs[i]), s.expected, s.alpha, s.beta)
	})
	expected := states[0].expected
	for _, s := range states[1:] {
		for i, v := range s.expected {
			expected[i] += v
		}
	}
	return expected
}

// resize returns a zeroed slice of length n, reusing buf.
func resize(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}

// mStep is run_m_step: pieces expected fewer than 0.5 times are dropped
// (never <UNK>, id 0), and scores become digamma(count) − digamma(total),
// the Bayesian EM SentencePiece uses as a sparse prior.
func mStep(pieces []UnigramPiece, expected []float64) []UnigramPiece {
	out := make([]UnigramPiece, 0, len(pieces))
	sum := 0.0
	for i, p := range pieces {
		if i == 0 {
			out = append(out, UnigramPiece{Piece: p.Piece, Score: math.NaN()})
			continue
		}
		if expected[i] < 0.5 {
			continue
		}
		out = append(out, UnigramPiece{Piece: p.Piece, Score: expected[i]})
		sum += expected[i]
	}
	logSum := digamma(sum)
	for i := range out {
		out[i].Score = digamma(out[i].Score) - logSum
	}
	return out
}

// digamma is the trainer's asymptotic series for ψ(x).
func digamma(x float64) float64 {
	result := 0.0
	for x < 7 {
		result -= 1 / x
		x++
	}
	x -= 0.5
	xx := 1 / x
	xx2 := xx * xx
	xx4 := xx2 * xx2
	return result + math.Log(x) + xx2/24 - 7.0/960*xx4 + 31.0/8064*xx4*xx2 - 127.0/30720*xx4*xx4
}

func toLogProb(pieces []UnigramPiece) {
	sum := 0.0
	for _, p := range pieces {
		sum += p.Score
	}
	logSum := math.Log(sum)
	for i := range pieces {
		pieces[i].Score = math.Log(pieces[i].Score) - logSum
	}
}

// prune is prune_sentence_pieces: pieces whose removal loses the least
// likelihood go, down to max(1.1 × vocab size, shrinking factor × pieces).
func (tr *unigramTrainer) prune(pieces []UnigramPiece) []UnigramPiece {
	alwaysKeep, alternatives := tr.alternatives(pieces)
	type state struct {
		vsum     float64
		freq     []float64
		inverted [][]int32
	}
	n := len(pieces)
	states := forWords(tr, func() *state { return &state{freq: make([]float64, n), inverted: make([][]int32, n)} }, func(s *state, l *lattice, i int) {
		l.reset(tr.words[i], &tr.model.trie, tr.model.scores, tr.unkScore())
		s.vsum += float64(tr.freqs[i])
		for _, k := range l.viterbi(-1) {
			id := l.nodes[k].id
			s.freq[id] += float64(tr.freqs[i])
			s.inverted[id] = append(s.inverted[id], int32(i))
		}
	})
	vsum, freq, inverted := 0.0, make([]float64, n), make([][]int32, n)
	for _, s := range states {
		vsum += s.vsum
		for i := range freq {
			freq[i] += s.freq[i]
			inverted[i] = append(inverted[i], s.inverted[i]...)
		}
	}
	sum := 0.0
	for _, f := range freq {
		sum += f
	}
	logSum := math.Log(sum)
	type candidate struct {
		id   int
		loss float64
	}
	var candidates []candidate
	kept := []UnigramPiece{pieces[0]}
	for id := 1; id < n; id++ {
		switch {
		case freq[id] == 0 && !alwaysKeep[id]:
			continue // not on any best path
		case len(alternatives[id]) == 0:
			kept = append(kept, pieces[id])
			continue
		}
		f := 0.0
		for _, w := range inverted[id] {
			f += float64(tr.freqs[w])
		}
		if f == 0 || math.IsNaN(f) {
			continue
		}
		f /= vsum
		logProbSP := math.Log(freq[id]) - logSum
		// HF multiplies by the number of pieces here (alternatives.len()
		// of the outer list), not of this piece's alternatives; kept as is.
		logSumAlt := math.Log(sum + freq[id]*float64(len(alternatives)-1))
		logProbAlt := 0.0
		for _, a := range alternatives[id] {
			logProbAlt += math.Log(freq[a]+freq[id]) - logSumAlt
		}
		candidates = append(candidates, candidate{id, f * (logProbSP - logProbAlt)})
	}
	size := max(tr.o.VocabSize*11/10, int(float64(n)*tr.o.ShrinkingFactor))
	sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].loss > candidates[j].loss })
	for _, c := range candidates {
		if len(kept) == size {
			break
		}
		kept = append(kept, pieces[c.id])
	}
	return kept
}

// alternatives segments every piece on its own: a piece whose best
// segmentation is itself is always kept, and its second-best segmentation
// (the best one without it, HF's nbest(2)) is what replaces it if pruned.
func (tr *unigramTrainer) alternatives(pieces []UnigramPiece) ([]bool, [][]int32) {
	keep := make([]bool, len(pieces))
	alts := make([][]int32, len(pieces))
	var l lattice
	for id := 1; id < len(pieces); id++ {
		word := []rune(pieces[id].Piece)
		l.reset(word, &tr.model.trie, tr.model.scores, tr.unkScore())
		best := l.viterbi(-1)
		if len(best) != 1 {
			continue // another segmentation beats the piece itself
		}
		keep[id] = true
		for _, k := range l.viterbi(best[0]) {
			alts[id] = append(alts[id], l.nodes[k].id)
		}
	}
	return keep, alts
}

// finalize is UnigramTrainer::finalize: every required character (with
// its score, or just below the lowest one when pruned away), then the best
// pieces up to the vocabulary size, sorted by score, after the special tokens.
func (tr *unigramTrainer) finalize(pieces []UnigramPiece) ([]UnigramPiece, int) {
	existing := map[string]float64{}
	for _, p := range pieces {
		existing[p.Piece] = p.Score
	}
	inserted := map[string]bool{"<UNK>": true}
	var out []UnigramPiece
	penalty := 0.0
	for _, r := range tr.requiredChars() {
		c := string(r)
		inserted[c] = true
		if s, ok := existing[c]; ok {
			out = append(out, UnigramPiece{c, s})
			continue
		}
		out = append(out, UnigramPiece{c, tr.model.minScore + penalty})
		penalty += 0.0001
	}
	specials := tr.specials()
	unk := -1
	if tr.o.UnkToken != "" {
		unk = slices.Index(specials, tr.o.UnkToken)
	}
	limit := tr.o.VocabSize - len(specials)
	for _, p := range pieces {
		if inserted[p.Piece] {
			continue
		}
		inserted[p.Piece] = true
		if math.IsNaN(p.Score) {
			p.Score = 0
		}
		out = append(out, p)
		if len(out) == limit {
			break
		}
	}
	slices.SortStableFunc(out, func(a, b UnigramPiece) int { return cmp.Compare(b.Score, a.Score) })
	vocab := make([]UnigramPiece, 0, len(specials)+len(out))
	for _, s := range specials {
		vocab = append(vocab, UnigramPiece{s, 0})
	}
	return append(vocab, out...), unk
}
