package run

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/bert"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// reference recomputes one rendering's token scores the slow way: one
// unpadded full forward per (prompt, word), logits over every position,
// log-softmax in Go. It shares no code with the runners' gather path.
func reference(t *testing.T, r *Runner, rd *prompt.Rendered, words prompt.WordIDs) prompt.TokenScores {
	t.Helper()
	out := make(prompt.TokenScores, len(words))
	for l, ws := range words {
		for _, w := range ws {
			row := make([]float64, len(w))
			for j := range w {
				row[j] = referenceToken(t, r, rd, w, j)
			}
			out[l] = append(out[l], row)
		}
	}
	return out
}

func referenceToken(t *testing.T, r *Runner, rd *prompt.Rendered, w []int64, j int) float64 {
	t.Helper()
	var logits []float32
	var pos, width int
	err := tensor.NoGrad(func() {
		s := tensor.NewScope()
		defer s.Close()
		var seq []int64
		switch f := r.f.(type) {
		case *mlm:
			seq, pos = rd.IDs, maskPos(rd.Masks[0], j)
			ids := s.T(tensor.FromRows([][]int64{seq}, gotch.CPU))
			o, err := f.m.Forward(bert.Input{IDs: ids}, false)
			tensor.Check(err)
			defer o.Close()
			logits, err = tensor.Float32s(o.Logits)
			tensor.Check(err)
		case *decoder:
			seq, pos = append(append([]int64{}, rd.IDs...), w...), len(rd.IDs)+j-1
			ids := s.T(tensor.FromRows([][]int64{seq}, gotch.CPU))
			o, err := f.m.Forward(gpt2.Input{IDs: ids}, false)
			tensor.Check(err)
			defer o.Close()
			logits, err = tensor.Float32s(o.Logits)
			tensor.Check(err)
		case *seq2seq:
			c := f.m.Config
			enc := s.T(tensor.FromRows([][]int64{append(append([]int64{}, rd.IDs...), c.EOSTokenID)}, gotch.CPU))
			seq = append([]int64{c.DecoderStart()}, w[:len(w)-1]...)
			pos = j
			dec := s.T(tensor.FromRows([][]int64{seq}, gotch.CPU))
			o, err := f.m.Forward(enc, nil, dec, nil, nil, false)
			tensor.Check(err)
			defer o.Close()
			logits, err = tensor.Float32s(o.Logits)
			tensor.Check(err)
		}
		width = len(logits) / len(seq)
	})
	if err != nil {
		t.Fatal(err)
	}
	return logSoftmaxAt(logits[pos*width:(pos+1)*width], w[j])
}

func TestScoreMatchesFullForward(t *testing.T) {
	tests := []struct {
		name, model, template string
		kind                  prompt.Kind
		words                 [][]string
	}{
		{"bert single mask, multi-token word", "bert", "{mask}满意。{text_a}", prompt.Cloze, sentiment.words},
		{"bert two masks", "bert", "{text_a}，很{mask:2}。", prompt.Cloze, [][]string{{"满意"}, {"不好", "一般"}}},
		{"gpt2 appended words", "gpt2", "{text_a}满意吗？", prompt.Prefix, sentiment.words},
		{"t5 decoder targets", "t5", "{text_a}满意吗？{mask}", prompt.Prefix, sentiment.words},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture(t, tt.model)
			r.BatchSize = 3 // two batches, the first padded
			p := mustPrompt(t, tt.template, tt.kind, sentiment.labels, tt.words, prompt.Mean, prompt.Mean)
			var rs []*prompt.Rendered
			for _, text := range reviews {
				rd, err := p.Render(map[string]string{"text_a": text})
				if err != nil {
					t.Fatal(err)
				}
				rs = append(rs, rd)
			}
			var got []prompt.TokenScores
			checkNoLeak(t, func() {
				var err error
				if got, err = r.ScoreBatch(context.Background(), rs, 0, p.Words()); err != nil {
					t.Fatal(err)
				}
			})
			for i, rd := range rs {
				want := reference(t, r, rd, p.Words())
				for l := range want {
					for w := range want[l] {
						for j := range want[l][w] {
							if d := math.Abs(got[i][l][w][j] - want[l][w][j]); d > 1e-4 || math.IsNaN(got[i][l][w][j]) {
								t.Errorf("prompt %d label %d word %d token %d: got %.6f, want %.6f", i, l, w, j, got[i][l][w][j], want[l][w][j])
							}
						}
					}
				}
			}
		})
	}
}

// TestClassifyMatchesPromptClassify checks the batched path against
// pkg/prompt's one-example path through the Scorer interface.
func TestClassifyMatchesPromptClassify(t *testing.T) {
	r := fixture(t, "bert")
	p := mustPrompt(t, "{mask}满意。{text_a}", prompt.Cloze, sentiment.labels, sentiment.words, prompt.Mean, prompt.Max)
	var exs []map[string]string
	for _, text := range reviews {
		exs = append(exs, map[string]string{"text_a": text})
	}
	got, err := r.Classify(context.Background(), p, exs)
	if err != nil {
		t.Fatal(err)
	}
	for i, ex := range exs {
		want, err := p.Classify(context.Background(), r, ex)
		if err != nil {
			t.Fatal(err)
		}
		if got[i].Label != want.Label || math.Abs(got[i].Probs[0]-want.Probs[0]) > 1e-5 {
			t.Errorf("example %d: batched %+v, one by one %+v", i, got[i], want)
		}
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	bertR, gptR := fixture(t, "bert"), fixture(t, "gpt2")
	cloze := mustPrompt(t, "{mask}满意。{text_a}", prompt.Cloze, sentiment.labels, sentiment.words, "", "")
	prefix := mustPrompt(t, "{text_a}满意吗？", prompt.Prefix, sentiment.labels, sentiment.words, "", "")
	twoMasks := mustPrompt(t, "{text_a}{mask:2}", prompt.Cloze, []string{"a", "b"}, [][]string{{"满意好"}, {"好"}}, "", "")
	long := map[string]string{"text_a": strings.Repeat("好", 80)} // fixtures read 64 positions
	ex := map[string]string{"text_a": "好"}
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"prefix template on an MLM", func() error { _, err := bertR.Classify(ctx, prefix, []map[string]string{ex}); return err }, "needs a cloze template"},
		{"cloze template on a decoder", func() error { _, err := gptR.Classify(ctx, cloze, []map[string]string{ex}); return err }, "needs a prefix template"},
		{"cloze rendering scored by a decoder", func() error {
			rd, _ := cloze.Render(ex)
			_, err := gptR.Score(ctx, rd, 0, cloze.Words())
			return err
		}, "rendered from a cloze template"},
		{"word longer than its mask slot", func() error { _, err := bertR.Classify(ctx, twoMasks, []map[string]string{ex}); return err }, "does not fit mask slot"},
		{"prompt longer than the model", func() error { _, err := bertR.Classify(ctx, cloze, []map[string]string{long}); return err }, "reads at most 64"},
		{"missing slot", func() error {
			rd, _ := cloze.Render(ex)
			_, err := bertR.Score(ctx, rd, 1, cloze.Words())
			return err
		}, "mask slot 1 of 1"},
		{"soft tokens without a table", func() error {
			p := mustPrompt(t, "{soft:2}{mask}{text_a}", prompt.Cloze, sentiment.labels, sentiment.words, "", "")
			_, err := bertR.Classify(ctx, p, []map[string]string{ex})
			return err
		}, "2 soft tokens, the runner has 0"},
		{"soft tokens on a decoder", func() error { _, err := gptR.WithSoft(2); return err }, "not supported"},
		{"label word out of vocabulary", func() error {
			tpl, _ := prompt.Parse("t", "{mask}{text_a}", prompt.Cloze)
			v, _ := prompt.NewVerbalizer([]string{"1", "0"}, [][]string{{"赞"}, {"不"}}, "", "")
			_, err := prompt.NewPrompt(tpl, v, newCharTok(), 0)
			return err
		}, `word "赞": piece "赞" is not in the vocabulary`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
