package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// hfUnigramTraining is testdata/unigram_train_hf.json: the pieces HF's
// UnigramTrainer (SentencePieceUnigramTokenizer.train) picks on the fault-IE
// texts, written by scripts/fixtures/make_unigram.py.
type hfUnigramTraining struct {
	Lines         int
	VocabSize     int      `json:"vocab_size"`
	SpecialTokens []string `json:"special_tokens"`
	UnkToken      string   `json:"unk_token"`
	Seconds       float64
	Pieces        [][2]any // [piece, score]
}

func (h hfUnigramTraining) vocab() []UnigramPiece {
	out := make([]UnigramPiece, len(h.Pieces))
	for i, p := range h.Pieces {
		out[i] = UnigramPiece{p[0].(string), p[1].(float64)}
	}
	return out
}

// emitAll feeds texts to a trainer (the tok branch's Texts source does the same).
func emitAll(texts []string) func(func(string) error) error {
	return func(emit func(string) error) error {
		for _, t := range texts {
			if err := emit(t); err != nil {
				return err
			}
		}
		return nil
	}
}

// trainingLines is the fixture script's training_lines for one field.
func trainingLines(texts []string) []string {
	var out []string
	for _, t := range texts {
		if t = strings.TrimSpace(strings.Join(strings.Split(t, "\n"), " ")); t != "" {
			out = append(out, t+"\n") // HF reads files by line, line end included
		}
	}
	return out
}

// TestTrainUnigramVsHF trains on the corpus HF trained on, with the same
// settings, and bounds how far the vocabularies and the encoded lengths of
// held-out text are apart. The EM is not bit-equal to HF's (HashMap orders,
// ties), so the test states floors: a trainer that is broken (no EM, no
// pruning, wrong seeds or scores) drops far below them.
func TestTrainUnigramVsHF(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for several seconds")
	}
	data, err := os.ReadFile("testdata/unigram_train_hf.json")
	if err != nil {
		t.Fatal(err)
	}
	var hf hfUnigramTraining
	if err := json.Unmarshal(data, &hf); err != nil {
		t.Fatal(err)
	}
	shared := sharedTexts(t)
	lines := trainingLines(shared[textKey{"fault-ie", "text"}])
	if len(lines) != hf.Lines {
		t.Fatalf("%d training lines, the fixture has %d", len(lines), hf.Lines)
	}
	o := DefaultUnigramOptions()
	o.VocabSize, o.SpecialTokens, o.UnkToken = hf.VocabSize, hf.SpecialTokens, hf.UnkToken
	start := time.Now()
	got, err := TrainUnigram(emitAll(lines), o)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if len(got.Pieces) != hf.VocabSize || got.Pieces[0].Piece != "<unk>" || got.UnkID != 0 {
		t.Fatalf("%d pieces, first %q, unk id %d; want %d, <unk>, 0", len(got.Pieces), got.Pieces[0].Piece, got.UnkID, hf.VocabSize)
	}
	hfVocab := hf.vocab()
	// Every character of the corpus is in both vocabularies by rule, so the
	// overlap that measures the trainer is the one of longer pieces.
	all, multi := vocabOverlap(got.Pieces, hfVocab)

	// Held-out text: CSL titles, encoded with both vocabularies.
	dir := t.TempDir()
	if _, err := got.Save(filepath.Join(dir, "go")); err != nil {
		t.Fatal(err)
	}
	goTok, err := Load(filepath.Join(dir, "go"))
	if err != nil {
		t.Fatal(err)
	}
	hfTok := hfVocabTokenizer(t, hfVocab, got)
	var goLen, hfLen int
	for _, text := range shared[textKey{"csl", "title"}] {
		a, err1 := goTok.Encode(text, false)
		b, err2 := hfTok.Encode(text, false)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		goLen += len(a.IDs)
		hfLen += len(b.IDs)
	}
	ratio := float64(goLen) / float64(hfLen)
	t.Logf("vocabulary overlap with HF: %.3f of all pieces, %.3f of multi-character pieces; held-out tokens %d vs HF %d, ratio %.3f; trained in %v (HF %.1fs)",
		all, multi, goLen, hfLen, ratio, elapsed.Round(time.Millisecond), hf.Seconds)
	if multi < 0.90 {
		t.Errorf("multi-character pieces shared with HF %.3f, want ≥ 0.90", multi)
	}
	if ratio < 0.97 || ratio > 1.03 {
		t.Errorf("held-out encoded length ratio %.3f, want within 3%% of HF's", ratio)
	}
	if out := os.Getenv("GOTRL_SAVE_DIR"); out != "" {
		saveForHF(t, got, goTok, filepath.Join(out, "unigram-faultie"))
	}
}

// saveForHF keeps a trained tokenizer and gotrl's encodings of the
// hand-written cases for scripts/fixtures/unigram_roundtrip.py, which loads
// the directory with HF and compares.
func saveForHF(t *testing.T, tr *TrainedUnigram, tok *Pipeline, dir string) {
	t.Helper()
	if _, err := tr.Save(dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "gotrl_encodings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, c := range readUnigramCases(t) {
		if c.input.Text == nil || c.input.Pair != nil {
			continue
		}
		e, err := tok.Encode(*c.input.Text, true)
		if err != nil {
			t.Fatal(err)
		}
		ids, offsets := append([]int64{}, e.IDs...), append([][2]int{}, e.Offsets...) // [] rather than null for ""
		rec := map[string]any{"text": *c.input.Text, "ids": ids, "offsets": offsets, "decode": tok.Decode(e.IDs, false)}
		if err := enc.Encode(rec); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("saved %s for scripts/fixtures/unigram_roundtrip.py", dir)
}

// TestTrainUnigramFullCorpus trains with SentencePieceUnigramTokenizer's
// defaults (vocab 8,000, special <unk>) on every shared text, as the
// fixture script trained testdata/unigram_hf, and reports the overlap, the
// encoded-length ratio on those texts and the time. It takes minutes, so it
// runs only with GOTRL_UNIGRAM_FULL=1 (the figures are in docs/tokenizers.md).
func TestTrainUnigramFullCorpus(t *testing.T) {
	if os.Getenv("GOTRL_UNIGRAM_FULL") == "" {
		t.Skip("set GOTRL_UNIGRAM_FULL=1 to train on all of ../shared/data")
	}
	shared := sharedTexts(t)
	var lines, all []string
	for _, ts := range shared {
		lines = append(lines, trainingLines(ts)...)
		all = append(all, ts...)
	}
	o := DefaultUnigramOptions()
	o.SpecialTokens, o.UnkToken = []string{"<unk>"}, "<unk>"
	start := time.Now()
	got, err := TrainUnigram(emitAll(lines), o)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	hfTok := loadUnigram(t, "unigram_hf")
	var hfVocab []UnigramPiece
	for id := range hfTok.VocabSize() {
		p, _ := hfTok.IDToToken(int64(id))
		hfVocab = append(hfVocab, UnigramPiece{Piece: p})
	}
	overall, multi := vocabOverlap(got.Pieces, hfVocab)
	dir := filepath.Join(t.TempDir(), "go")
	if _, err := got.Save(dir); err != nil {
		t.Fatal(err)
	}
	goTok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var goLen, hfLen int
	for _, text := range all {
		a, err1 := goTok.Encode(text, false)
		b, err2 := hfTok.Encode(text, false)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		goLen, hfLen = goLen+len(a.IDs), hfLen+len(b.IDs)
	}
	t.Logf("%d lines, %d words: overlap with HF %.3f of all pieces, %.3f of multi-character ones; tokens on all texts %d vs HF %d (ratio %.3f); trained in %v",
		len(lines), got.Words, overall, multi, goLen, hfLen, float64(goLen)/float64(hfLen), elapsed.Round(time.Second))
	if out := os.Getenv("GOTRL_SAVE_DIR"); out != "" {
		saveForHF(t, got, goTok, filepath.Join(out, "unigram-full"))
	}
}

// vocabOverlap is the share of HF's pieces that got has, over all pieces
// and over those longer than one character.
func vocabOverlap(got, hf []UnigramPiece) (all, multi float64) {
	have := map[string]bool{}
	for _, p := range got {
		have[p.Piece] = true
	}
	var n, common, nMulti, commonMulti int
	for _, p := range hf {
		long := utf8.RuneCountInString(p.Piece) > 1 && !strings.HasPrefix(p.Piece, "<")
		n++
		if long {
			nMulti++
		}
		if have[p.Piece] {
			common++
			if long {
				commonMulti++
			}
		}
	}
	return float64(common) / float64(n), float64(commonMulti) / float64(nMulti)
}

// hfVocabTokenizer is the Go trainer's pipeline with HF's pieces and scores.
func hfVocabTokenizer(t *testing.T, vocab []UnigramPiece, like *TrainedUnigram) *Pipeline {
	t.Helper()
	hf := &TrainedUnigram{Pieces: vocab, UnkID: 0, Special: like.Special, opts: like.opts}
	dir := filepath.Join(t.TempDir(), "hf")
	if _, err := hf.Save(dir); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTrainUnigramSmall trains on a few sentences (no ../shared needed):
// special tokens come first, every character is kept, substrings repeated
// across distinct words become pieces (HF seeds only those: "▁the" occurs in
// one distinct word, "at" in five), and the saved tokenizer loads and
// round-trips the text.
func TestTrainUnigramSmall(t *testing.T) {
	texts := []string{"the cat sat on the mat\n", "the cat ate the rat\n", "a cat and a rat sat\n", "the mat is flat\n"}
	var corpus []string
	for range 20 {
		corpus = append(corpus, texts...)
	}
	o := DefaultUnigramOptions()
	o.VocabSize, o.SpecialTokens, o.UnkToken, o.Workers = 40, []string{"<pad>", "</s>"}, "<unk>", 1
	got, err := TrainUnigram(emitAll(corpus), o)
	if err != nil {
		t.Fatal(err)
	}
	// A corpus this small has fewer useful pieces than the target; HF's
	// trainer then stops short of the vocabulary size too.
	if len(got.Pieces) > 40 || len(got.Pieces) < 20 || got.Texts != len(corpus) || got.UnkID != 0 {
		t.Fatalf("%d pieces, %d texts, unk %d; want 20..40, %d, 0: %v", len(got.Pieces), got.Texts, got.UnkID, len(corpus), got.Pieces)
	}
	if first := []string{got.Pieces[0].Piece, got.Pieces[1].Piece, got.Pieces[2].Piece}; strings.Join(first, " ") != "<unk> <pad> </s>" {
		t.Errorf("first pieces %q, want <unk> <pad> </s>", first)
	}
	have := map[string]bool{}
	for _, p := range got.Pieces {
		have[p.Piece] = true
	}
	for _, r := range "thecasonmrdilf▁" {
		if !have[string(r)] {
			t.Errorf("character %q missing", r)
		}
	}
	if !have["at"] || !have["▁a"] || have["▁the"] {
		t.Errorf("want at and ▁a among the pieces and not ▁the: %v", got.Pieces)
	}
	dir := t.TempDir()
	if _, err := got.Save(dir); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := tok.Encode("the cat sat on the mat", false)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(enc.IDs); n >= 22 || !slices.Contains(enc.Tokens, "at") {
		t.Errorf("%d tokens %q for 22 characters, want fewer and \"at\" among them", n, enc.Tokens)
	}
	if dec := tok.Decode(enc.IDs, false); dec != "the cat sat on the mat" {
		t.Errorf("decode %q", dec)
	}
}

func TestTrainUnigramErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*UnigramOptions)
		want string
	}{
		{"vocab too small", func(o *UnigramOptions) { o.VocabSize = 3 }, "cannot hold the"},
		{"shrinking factor", func(o *UnigramOptions) { o.ShrinkingFactor = 1 }, "shrinking factor 1: must be in (0, 1)"},
		{"piece length", func(o *UnigramOptions) { o.MaxPieceLength = 0 }, "max piece length 0"},
		{"source", nil, "line 7: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultUnigramOptions()
			src := emitAll([]string{"abcdef ghij"})
			if tt.edit != nil {
				tt.edit(&o)
			} else {
				src = func(func(string) error) error { return errors.New("line 7: boom") }
			}
			_, err := TrainUnigram(src, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "train unigram: ") {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}
