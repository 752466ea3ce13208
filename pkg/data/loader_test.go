package data

import (
	"reflect"
	"strings"
	"testing"
)

func TestLoader(t *testing.T) {
	enc := Encoder{Tok: fakeTok{}}
	exs := []Example{{Prompt: "我爱北京", Response: "你好"}, {Prompt: "好", Response: "吗"}, {Prompt: "天安门", Response: "a"}}
	data, err := enc.EncodePairs(exs)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLoader(data, Sampler{BatchSize: 2}, Collator{PadID: fPAD})
	if err != nil {
		t.Fatal(err)
	}
	b, c, err := l.Next(Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Lens, []int{9, 5}) || c != (Cursor{Index: 1}) {
		t.Errorf("first batch lens %v, cursor %+v; want [9 5], index 1", b.Lens, c)
	}
	b, c, _ = l.Next(c)
	if !reflect.DeepEqual(b.InputIDs, [][]int64{ids(fCLS, "天安门", fSEP, "a", fSEP)}) || c != (Cursor{Epoch: 1}) {
		t.Errorf("last batch %v, cursor %+v", b.InputIDs, c)
	}

	enc.MaxLen, enc.Truncation = 5, OnlySecond
	if _, err := enc.EncodePairs(exs); err == nil || !strings.Contains(err.Error(), "example 0") {
		t.Errorf("error %v, want it to name example 0", err)
	}
	prompts, _ := (&Encoder{Tok: fakeTok{}}).EncodePrompts(exs[1:2])
	if want := ids(fCLS, "好", fSEP); !reflect.DeepEqual(prompts[0].IDs, want) {
		t.Errorf("prompt ids %v, want %v", prompts[0].IDs, want)
	}
}
