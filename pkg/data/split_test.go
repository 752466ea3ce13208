package data

import (
	"fmt"
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	// 10 groups of sizes 1..4 plus 5 ungrouped examples: 30 in all.
	var xs []Example
	for g := range 10 {
		for k := range g%4 + 1 {
			xs = append(xs, Example{Group: fmt.Sprint("g", g), Prompt: fmt.Sprint(g, "/", k)})
		}
	}
	for i := range 5 {
		xs = append(xs, Example{Prompt: fmt.Sprint("solo", i)})
	}
	tests := []struct {
		name string
		opt  SplitOptions
		want int // minimum test size
	}{
		{"fraction", SplitOptions{Seed: 1, Fraction: 0.2}, 6},
		{"count", SplitOptions{Seed: 2, Count: 9}, 9},
		{"zero", SplitOptions{Seed: 3}, 0},
		{"all", SplitOptions{Seed: 4, Count: len(xs)}, len(xs)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			train, test, err := Split(xs, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(train)+len(test) != len(xs) || len(test) < tt.want || len(test) >= tt.want+4 {
				t.Errorf("train %d test %d, want test in [%d, %d)", len(train), len(test), tt.want, tt.want+4)
			}
			side := map[string]string{}
			for name, part := range map[string][]Example{"train": train, "test": test} {
				for _, x := range part {
					if x.Group == "" {
						continue
					}
					if s, ok := side[x.Group]; ok && s != name {
						t.Errorf("group %s on both sides", x.Group)
					}
					side[x.Group] = name
				}
			}
			train2, test2, _ := Split(xs, tt.opt)
			if !reflect.DeepEqual(train, train2) || !reflect.DeepEqual(test, test2) {
				t.Error("same seed, different split")
			}
		})
	}
	_, a, _ := Split(xs, SplitOptions{Seed: 1, Fraction: 0.3})
	_, b, _ := Split(xs, SplitOptions{Seed: 2, Fraction: 0.3})
	if reflect.DeepEqual(a, b) {
		t.Error("seeds 1 and 2 gave the same test set")
	}
	for _, bad := range []SplitOptions{{Fraction: 1}, {Fraction: -0.1}, {Count: 31}, {Count: -1}, {Fraction: 0.1, Count: 2}} {
		if _, _, err := Split(xs, bad); err == nil {
			t.Errorf("Split(%+v) accepted", bad)
		}
	}
}

func TestSplitRealCMRC(t *testing.T) {
	exs, _, err := CMRCQuestions(sharedData(t, "cmrc2018/cmrc_dev.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := Split(exs, SplitOptions{Seed: 42, Fraction: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	inTrain := map[string]bool{}
	for _, e := range train {
		inTrain[e.Group] = true
	}
	for _, e := range test {
		if inTrain[e.Group] {
			t.Fatalf("article %s on both sides", e.Group)
		}
	}
	if len(test) < 257 || len(test) > 257+20 {
		t.Errorf("test has %d questions, want about 10%% of 2569", len(test))
	}
}
