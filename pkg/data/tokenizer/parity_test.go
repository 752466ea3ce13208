package tokenizer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// parityCase is one line of testdata/parity.jsonl.gz, written by
// scripts/fixtures/tokenizer_parity.py from HF tokenizers 0.20.3.
type parityCase struct {
	Ref *struct {
		Dataset, Field string
		Index          int
		Sha            string
	}
	Text *string
	Pair *string
	Bert hfResult
	GPT2 hfResult `json:"gpt2"`
}

// hfResult is what HF produced. Hand-written cases carry the values; shared
// texts only their hashes, so that no shared text lands in the repository.
type hfResult struct {
	IDs        []int64
	TypeIDs    []int64  `json:"type_ids"`
	Offsets    [][2]int `json:"offsets"`
	Decode     string
	DecodeSkip string `json:"decode_skip"`

	N             int
	IDsSha        string `json:"ids_sha"`
	DecodeSha     string `json:"decode_sha"`
	DecodeSkipSha string `json:"decode_skip_sha"`
}

// shortSha is the fixture script's sha(): sha256 hex, first 16 characters.
func shortSha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:16]
}

func idsSha(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return shortSha(strings.Join(parts, ","))
}

func readParityCases(t *testing.T) []parityCase {
	return readCaseLines[parityCase](t, "testdata/parity.jsonl.gz")
}

// TestParity reproduces HF's ids, type ids, offsets and both decodes for
// every case; a shared-data case is skipped when ../shared is missing.
func TestParity(t *testing.T) {
	cases := readParityCases(t)
	tokenizers := []struct {
		name string
		tok  func(testing.TB) *Pipeline
		want func(parityCase) hfResult
	}{
		{"bert", sharedBert, func(c parityCase) hfResult { return c.Bert }},
		{"gpt2", sharedGPT2, func(c parityCase) hfResult { return c.GPT2 }},
	}
	for _, tt := range tokenizers {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.tok(t)
			var texts map[textKey][]string
			if _, err := findShared(); err == nil {
				texts = sharedTexts(t)
			}
			var ok, total, failures int
			for i, c := range cases {
				text, pair, label := caseInput(t, c, texts)
				if label == "" {
					continue
				}
				total++
				msg := compareCase(tok, text, pair, tt.want(c))
				if msg == "" {
					ok++
					continue
				}
				if failures++; failures <= 25 {
					t.Errorf("case %d %s: %s", i, label, msg)
				}
			}
			t.Logf("%s: %d/%d cases match HF", tt.name, ok, total)
		})
	}
}

// caseInput returns the texts of a case and a label for messages; the label
// is empty when the case needs ../shared and it is missing.
func caseInput(t *testing.T, c parityCase, texts map[textKey][]string) (string, *string, string) {
	if c.Ref == nil {
		return *c.Text, c.Pair, fmt.Sprintf("%q", *c.Text)
	}
	if texts == nil {
		return "", nil, ""
	}
	all := texts[textKey{c.Ref.Dataset, c.Ref.Field}]
	label := fmt.Sprintf("%s[%d].%s", c.Ref.Dataset, c.Ref.Index, c.Ref.Field)
	if c.Ref.Index >= len(all) {
		t.Fatalf("%s: data set has only %d records", label, len(all))
	}
	text := all[c.Ref.Index]
	if shortSha(text) != c.Ref.Sha {
		t.Fatalf("%s: text hash %s, fixture has %s: ../shared differs from the data the fixture was made from", label, shortSha(text), c.Ref.Sha)
	}
	return text, nil, label
}

// compareCase returns "" when tok reproduces want, else what differs.
func compareCase(tok *Pipeline, text string, pair *string, want hfResult) string {
	var enc Encoding
	var err error
	if pair != nil {
		enc, err = tok.EncodePair(text, *pair, true)
	} else {
		enc, err = tok.Encode(text, true)
	}
	if err != nil {
		return "error: " + err.Error()
	}
	dec, decSkip := tok.Decode(enc.IDs, false), tok.Decode(enc.IDs, true)
	if want.IDs == nil && want.IDsSha != "" { // shared text: hashes only
		switch {
		case len(enc.IDs) != want.N || idsSha(enc.IDs) != want.IDsSha:
			return fmt.Sprintf("ids differ: got %d ids %v", len(enc.IDs), enc.Tokens)
		case shortSha(dec) != want.DecodeSha:
			return fmt.Sprintf("decode differs: got %q", dec)
		case shortSha(decSkip) != want.DecodeSkipSha:
			return fmt.Sprintf("decode(skip special) differs: got %q", decSkip)
		}
		return ""
	}
	switch {
	case !slices.Equal(enc.IDs, want.IDs):
		return fmt.Sprintf("ids\n got  %v %q\n want %v", enc.IDs, enc.Tokens, want.IDs)
	case !slices.Equal(enc.TypeIDs, want.TypeIDs):
		return fmt.Sprintf("type ids\n got  %v\n want %v", enc.TypeIDs, want.TypeIDs)
	case !slices.Equal(enc.Offsets, want.Offsets):
		return fmt.Sprintf("offsets\n got  %v\n want %v", enc.Offsets, want.Offsets)
	case dec != want.Decode:
		return fmt.Sprintf("decode\n got  %q\n want %q", dec, want.Decode)
	case decSkip != want.DecodeSkip:
		return fmt.Sprintf("decode(skip special)\n got  %q\n want %q", decSkip, want.DecodeSkip)
	}
	return ""
}
