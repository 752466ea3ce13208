package data

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// ign shortens IgnoreIndex in the tables.
const ign = IgnoreIndex

// ids builds an id row from specials and text: "[CLS]" → fCLS, other runes → fid.
func ids(parts ...any) []int64 {
	var out []int64
	for _, p := range parts {
		switch v := p.(type) {
		case int64:
			out = append(out, v)
		case string:
			out = append(out, fids(v)...)
		}
	}
	return out
}

// masked replaces the first n entries of row with IgnoreIndex.
func masked(row []int64, n int) []int64 {
	out := append([]int64(nil), row...)
	for i := range n {
		out[i] = ign
	}
	return out
}

func TestEncoder(t *testing.T) {
	bert, gpt := fakeTok{}, fakeTok{gpt: true}
	zeros := func(n int) []int64 { return make([]int64, n) }
	tests := []struct {
		name             string
		enc              Encoder
		prompt, response string
		single           bool
		want             Encoded
		err              string
	}{
		{name: "pair, response-only loss", enc: Encoder{Tok: bert}, prompt: "我爱北京", response: "你好",
			want: Encoded{
				IDs:     ids(fCLS, "我爱北京", fSEP, "你好", fSEP),
				TypeIDs: []int64{0, 0, 0, 0, 0, 0, 1, 1, 1},
				Labels:  masked(ids(fCLS, "我爱北京", fSEP, "你好", fSEP), 6),
			}},
		{name: "pair, loss on all", enc: Encoder{Tok: bert, LossOnAll: true}, prompt: "我爱", response: "你",
			want: Encoded{IDs: ids(fCLS, "我爱", fSEP, "你", fSEP), TypeIDs: []int64{0, 0, 0, 0, 1, 1}, Labels: ids(fCLS, "我爱", fSEP, "你", fSEP)}},
		{name: "spaces are not tokens", enc: Encoder{Tok: bert}, prompt: "a b", response: "c",
			want: Encoded{IDs: ids(fCLS, "ab", fSEP, "c", fSEP), TypeIDs: []int64{0, 0, 0, 0, 1, 1}, Labels: masked(ids(fCLS, "ab", fSEP, "c", fSEP), 4)}},
		{name: "longest_first cuts the longer prompt", enc: Encoder{Tok: bert, MaxLen: 7}, prompt: "我爱北京", response: "你好",
			want: Encoded{IDs: ids(fCLS, "我爱", fSEP, "你好", fSEP), TypeIDs: []int64{0, 0, 0, 0, 1, 1, 1}, Labels: masked(ids(fCLS, "我爱", fSEP, "你好", fSEP), 4)}},
		{name: "longest_first tie cuts the response", enc: Encoder{Tok: bert, MaxLen: 6}, prompt: "我爱", response: "你好",
			want: Encoded{IDs: ids(fCLS, "我爱", fSEP, "你", fSEP), TypeIDs: []int64{0, 0, 0, 0, 1, 1}, Labels: masked(ids(fCLS, "我爱", fSEP, "你", fSEP), 4)}},
		{name: "longest_first cuts both", enc: Encoder{Tok: bert, MaxLen: 7}, prompt: "我爱北京天", response: "你好吗",
			want: Encoded{IDs: ids(fCLS, "我爱", fSEP, "你好", fSEP), TypeIDs: []int64{0, 0, 0, 0, 1, 1, 1}, Labels: masked(ids(fCLS, "我爱", fSEP, "你好", fSEP), 4)}},
		{name: "only_first", enc: Encoder{Tok: bert, MaxLen: 7, Truncation: OnlyFirst}, prompt: "我爱北京", response: "你好吗",
			want: Encoded{IDs: ids(fCLS, "我", fSEP, "你好吗", fSEP), TypeIDs: []int64{0, 0, 0, 1, 1, 1, 1}, Labels: masked(ids(fCLS, "我", fSEP, "你好吗", fSEP), 3)}},
		{name: "only_second", enc: Encoder{Tok: bert, MaxLen: 8, Truncation: OnlySecond}, prompt: "我爱北京", response: "你好",
			want: Encoded{IDs: ids(fCLS, "我爱北京", fSEP, "你", fSEP), TypeIDs: []int64{0, 0, 0, 0, 0, 0, 1, 1}, Labels: masked(ids(fCLS, "我爱北京", fSEP, "你", fSEP), 6)}},
		{name: "only_second cannot fit", enc: Encoder{Tok: bert, MaxLen: 6, Truncation: OnlySecond}, prompt: "我爱北京", response: "你好",
			err: "only_second truncation: prompt alone has 4 tokens, over the 3 left"},
		{name: "only_first cannot fit", enc: Encoder{Tok: bert, MaxLen: 5, Truncation: OnlyFirst}, prompt: "我", response: "你好吗",
			err: "only_first truncation: response alone has 3 tokens, over the 2 left"},
		{name: "per-field caps", enc: Encoder{Tok: bert, MaxPrompt: 2, MaxResp: 1}, prompt: "我爱北京", response: "你好",
			want: Encoded{IDs: ids(fCLS, "我爱", fSEP, "你", fSEP), TypeIDs: []int64{0, 0, 0, 0, 1, 1}, Labels: masked(ids(fCLS, "我爱", fSEP, "你", fSEP), 4)}},
		{name: "caps then max length", enc: Encoder{Tok: bert, MaxPrompt: 3, MaxLen: 7}, prompt: "我爱北京", response: "你好吗",
			want: Encoded{IDs: ids(fCLS, "我爱", fSEP, "你好", fSEP), TypeIDs: []int64{0, 0, 0, 0, 1, 1, 1}, Labels: masked(ids(fCLS, "我爱", fSEP, "你好", fSEP), 4)}},
		{name: "max length under the specials", enc: Encoder{Tok: bert, MaxLen: 2}, prompt: "我", response: "你",
			err: "shorter than the template's 3 special tokens"},
		{name: "single", enc: Encoder{Tok: bert}, prompt: "我爱北京", single: true,
			want: Encoded{IDs: ids(fCLS, "我爱北京", fSEP), TypeIDs: zeros(6), Labels: ids(fCLS, "我爱北京", fSEP)}},
		{name: "single truncated", enc: Encoder{Tok: bert, MaxLen: 4}, prompt: "我爱北京", single: true,
			want: Encoded{IDs: ids(fCLS, "我爱", fSEP), TypeIDs: zeros(4), Labels: ids(fCLS, "我爱", fSEP)}},
		{name: "single ignores only_second", enc: Encoder{Tok: bert, MaxLen: 3, Truncation: OnlySecond}, prompt: "我爱北京", single: true,
			want: Encoded{IDs: ids(fCLS, "我", fSEP), TypeIDs: zeros(3), Labels: ids(fCLS, "我", fSEP)}},
		{name: "no tokenizer", enc: Encoder{}, prompt: "我", single: true, err: "no tokenizer"},
		{name: "unknown rune", enc: Encoder{Tok: bert}, prompt: "我z", single: true,
			want: Encoded{IDs: []int64{fCLS, fid('我'), fUNK, fSEP}, TypeIDs: zeros(4), Labels: []int64{fCLS, fid('我'), fUNK, fSEP}}},
		{name: "gpt pair ends with eos", enc: Encoder{Tok: gpt}, prompt: "ab", response: "cd",
			want: Encoded{IDs: ids("abcd", fEOS), TypeIDs: zeros(5), Labels: masked(ids("abcd", fEOS), 2)}},
		{name: "gpt longest_first", enc: Encoder{Tok: gpt, MaxLen: 4}, prompt: "abcd", response: "ef",
			want: Encoded{IDs: ids("abe", fEOS), TypeIDs: zeros(4), Labels: masked(ids("abe", fEOS), 2)}},
		{name: "gpt single has no specials", enc: Encoder{Tok: gpt}, prompt: "ab", single: true,
			want: Encoded{IDs: ids("ab"), TypeIDs: zeros(2), Labels: ids("ab")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Encoded
			var err error
			if tt.single {
				got, err = tt.enc.Single(tt.prompt)
			} else {
				got, err = tt.enc.Pair(tt.prompt, tt.response)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseTruncation(t *testing.T) {
	for s, want := range map[string]Truncation{"": LongestFirst, "longest_first": LongestFirst, "ONLY_FIRST": OnlyFirst, "only_second": OnlySecond} {
		if got, err := ParseTruncation(s); err != nil || got != want {
			t.Errorf("ParseTruncation(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseTruncation("middle"); err == nil {
		t.Error("ParseTruncation(middle) accepted")
	}
}

// TestEncoderRobertaPair: a pair takes the tokenizer's own template, here
// RobertaProcessing's <s> a </s></s> b </s> with type ids all 0 (a
// RoBERTa model has one token type), as transformers' tokenizer(a, b)
// of testdata/models/roberta-seqcls gives it; BERT's [CLS] a [SEP] b [SEP]
// with type ids 1 on b is TestEncoder's.
func TestEncoderRobertaPair(t *testing.T) {
	tok, err := tokenizer.Open(filepath.Join("..", "..", "testdata", "models", "roberta-seqcls"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := (&Encoder{Tok: tok, LossOnAll: true}).Pair("a tat", "the t")
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{0, 69, 261, 69, 88, 2, 2, 88, 76, 73, 261, 2} // tokenizer("a tat", "the t").input_ids
	if !reflect.DeepEqual(got.IDs, want) || !reflect.DeepEqual(got.TypeIDs, make([]int64, len(want))) {
		t.Errorf("ids %v types %v, want %v and zeros", got.IDs, got.TypeIDs, want)
	}
}
