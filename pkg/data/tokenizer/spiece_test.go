package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSentencePieceModel loads the T5 fixture's directory without its
// tokenizer.json, as google/mt5-* checkpoints come: Load converts
// spiece.model (the SentencePiece model the fixture's tokenizer.json was
// converted from by T5TokenizerFast) and must give HF's results on every case.
func TestSentencePieceModel(t *testing.T) {
	dir := unigramDir(t, "unigram_t5")
	if err := os.Remove(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkUnigramCases(t, tok, readUnigramCases(t), "unigram_t5")
}

func TestSentencePieceErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not protobuf", []byte("\xff\xff\xff"), "not a SentencePiece model"},
		{"no pieces", []byte{0x10, 0x01}, "no pieces"},
		// one piece "a", trainer_spec.model_type 2 (BPE)
		{"bpe", []byte{0x0a, 0x03, 0x0a, 0x01, 'a', 0x12, 0x02, 0x18, 0x02}, "only Unigram (1) SentencePiece models are supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "spiece.model")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := FromSentencePiece(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one naming %s and containing %q", err, path, tt.want)
			}
		})
	}
}
