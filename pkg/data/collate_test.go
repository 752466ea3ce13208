package data

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

func TestCollate(t *testing.T) {
	enc := Encoder{Tok: fakeTok{}}
	long, _ := enc.Pair("我爱北京", "你好") // 9 tokens, prompt part 6
	short, _ := enc.Pair("好", "吗")    // 5 tokens, prompt part 3
	L, S := ids(fCLS, "我爱北京", fSEP, "你好", fSEP), ids(fCLS, "好", fSEP, "吗", fSEP)
	const P = fPAD
	tests := []struct {
		name string
		c    Collator
		want Batch
	}{
		{"right", Collator{PadID: P}, Batch{
			InputIDs:      [][]int64{L, slices.Concat(S, []int64{P, P, P, P})},
			AttentionMask: [][]int64{{1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 0, 0, 0, 0}},
			TypeIDs:       [][]int64{{0, 0, 0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1, 0, 0, 0, 0}},
			Labels:        [][]int64{masked(L, 6), {ign, ign, ign, fid('吗'), fSEP, ign, ign, ign, ign}},
			Lens:          []int{9, 5},
		}},
		{"left", Collator{PadID: P, Side: PadLeft}, Batch{
			InputIDs:      [][]int64{L, slices.Concat([]int64{P, P, P, P}, S)},
			AttentionMask: [][]int64{{1, 1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 1, 1, 1, 1, 1}},
			TypeIDs:       [][]int64{{0, 0, 0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 0, 0, 0, 0, 1, 1}},
			Labels:        [][]int64{masked(L, 6), {ign, ign, ign, ign, ign, ign, ign, fid('吗'), fSEP}},
			Lens:          []int{9, 5},
		}},
		{"fixed width", Collator{PadID: 9, PadTo: 10}, Batch{
			InputIDs:      [][]int64{slices.Concat(L, []int64{9}), slices.Concat(S, []int64{9, 9, 9, 9, 9})},
			AttentionMask: [][]int64{{1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 0, 0, 0, 0, 0}},
			TypeIDs:       [][]int64{{0, 0, 0, 0, 0, 0, 1, 1, 1, 0}, {0, 0, 0, 1, 1, 0, 0, 0, 0, 0}},
			Labels:        [][]int64{append(masked(L, 6), ign), {ign, ign, ign, fid('吗'), fSEP, ign, ign, ign, ign, ign}},
			Lens:          []int{9, 5},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Collate([]Encoded{long, short})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, err := (Collator{PadTo: 8}).Collate([]Encoded{long}); err == nil || !strings.Contains(err.Error(), "longer than pad length 8") {
		t.Errorf("too long for PadTo: error %v", err)
	}
	if _, err := (Collator{}).Collate([]Encoded{{IDs: []int64{1}}}); err == nil {
		t.Error("ragged example accepted")
	}
}

func TestPadID(t *testing.T) {
	tests := []struct {
		sp   tokenizer.Specials
		want int64
		ok   bool
	}{
		{fakeTok{}.Special(), fPAD, true},
		{fakeTok{gpt: true}.Special(), fEOS, true},
		{tokenizer.Specials{PAD: -1, EOS: -1}, 0, false},
	}
	for _, tt := range tests {
		got, err := PadID(tt.sp)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("PadID(%+v) = %d, %v; want %d", tt.sp, got, err, tt.want)
		}
	}
}
