package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
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
	got, err := TrainUnigram(func(emit func(string) error) error {
		for _, l := range lines {
			if err := emit(l); err != nil {
				return err
			}
		}
		return nil
	}, o)
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
