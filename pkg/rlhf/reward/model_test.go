package reward

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

func fixture(name string) string { return filepath.Join("..", "..", "..", "testdata", "models", name) }

// vocab writes a WordPiece vocabulary of the five BERT specials and words
// (ids < 512, the fixtures' embeddings) and returns its path.
func vocab(t *testing.T, words []string) string {
	t.Helper()
	all := append([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, words...)
	p := filepath.Join(t.TempDir(), "vocab.txt")
	if err := os.WriteFile(p, []byte(strings.Join(all, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// chars are the test texts' tokens; reversed, they give a tokenizer with
// the same words under other ids.
var chars = strings.Split("的一是在不了有和人这中大为上个国我以要他好很差", "")

func reversed(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

func open(t *testing.T, model, tok string, o Options) *Model {
	t.Helper()
	o.Device, o.Tokenizer = gotch.CPU, tok
	m, err := Open(fixture(model), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// TestScoreIgnoresPadding scores a ragged batch and each sample alone,
// with a decoder (last-token) and an encoder ([CLS]) classifier: padding
// must not change a reward.
func TestScoreIgnoresPadding(t *testing.T) {
	tok := vocab(t, chars)
	prompts := []string{"中国", "我", "他很好"}
	responses := []string{"很好", "这个国家的人", "差"}
	for _, model := range []string{"gpt2-seqcls", "bert-seqcls"} {
		for _, in := range []Input{Pair, Text} {
			t.Run(model+"/"+string(in), func(t *testing.T) {
				m := open(t, model, tok, Options{Label: 1, Input: in})
				batch, err := m.Score(context.Background(), prompts, responses)
				if err != nil {
					t.Fatal(err)
				}
				for i := range prompts {
					alone, err := m.Score(context.Background(), prompts[i:i+1], responses[i:i+1])
					if err != nil {
						t.Fatal(err)
					}
					if math.Abs(alone[0]-batch[i]) > 1e-5 {
						t.Errorf("sample %d: %g in the batch, %g alone", i, batch[i], alone[0])
					}
				}
			})
		}
	}
}

func TestOptions(t *testing.T) {
	tok := vocab(t, chars)
	tests := []struct {
		o    Options
		want string
	}{
		{Options{Label: 2}, "reward label 2: the model has 2 label(s)"},
		{Options{Output: "softmax"}, `reward output "softmax"`},
		{Options{Input: "both"}, `reward input "both"`},
	}
	for _, tt := range tests {
		tt.o.Device, tt.o.Tokenizer = gotch.CPU, tok
		if _, err := Open(fixture("gpt2-seqcls"), tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.o, err, tt.want)
		}
	}
	big := vocab(t, append(chars, func() []string {
		var w []string
		for i := range 600 {
			w = append(w, fmt.Sprintf("w%d", i))
		}
		return w
	}()...))
	if _, err := Open(fixture("gpt2-seqcls"), Options{Device: gotch.CPU, Tokenizer: big}); err == nil || !strings.Contains(err.Error(), "vocab_size is 512") {
		t.Errorf("a tokenizer larger than the model: %v", err)
	}
}

// TestProbability: the label's probabilities over both labels sum to 1.
func TestProbability(t *testing.T) {
	tok := vocab(t, chars)
	var sum []float64
	for label := range 2 {
		m := open(t, "bert-seqcls", tok, Options{Label: label, Output: Probability})
		p, err := m.Score(context.Background(), []string{"我", "他"}, []string{"很好", "很差"})
		if err != nil {
			t.Fatal(err)
		}
		if sum == nil {
			sum = p
			continue
		}
		for i := range p {
			if math.Abs(sum[i]+p[i]-1) > 1e-5 {
				t.Errorf("row %d: p(0)+p(1) = %g", i, sum[i]+p[i])
			}
		}
	}
}

// TestRewardsHandOff scores a policy's ids: with the reward's own
// vocabulary the ids pass through, with another vocabulary they are
// decoded and re-encoded; either way the rewards equal scoring the decoded
// texts directly (the policy's template specials dropped).
func TestRewardsHandOff(t *testing.T) {
	rewardTok := vocab(t, chars)
	for _, tc := range []struct {
		name    string
		policy  []string
		idLevel bool
	}{
		{"same vocabulary", chars, true},
		{"other vocabulary", reversed(chars), false},
	} {
		for _, model := range []string{"gpt2-seqcls", "bert-seqcls"} {
			for _, in := range []Input{Pair, Text} {
				t.Run(tc.name+"/"+model+"/"+string(in), func(t *testing.T) {
					pt, err := tokenizer.Open(vocab(t, tc.policy))
					if err != nil {
						t.Fatal(err)
					}
					m := open(t, model, rewardTok, Options{Label: 1, Input: in})
					m.Bind(pt)
					if m.IDLevel() != tc.idLevel {
						t.Fatalf("IDLevel = %v, want %v", m.IDLevel(), tc.idLevel)
					}
					prompts, responses := []string{"中国的人", "我"}, []string{"很好", "他很差的"}
					var qs, rs [][]int64
					for i := range prompts {
						q, err := pt.Encode(prompts[i], true) // [CLS] prompt [SEP], as SFT formats a prompt
						if err != nil {
							t.Fatal(err)
						}
						r, err := pt.Encode(responses[i], false)
						if err != nil {
							t.Fatal(err)
						}
						qs, rs = append(qs, q.IDs), append(rs, append(r.IDs, pt.Special().SEP)) // the response ends at eos
					}
					got, err := m.Rewards(context.Background(), qs, rs)
					if err != nil {
						t.Fatal(err)
					}
					want, err := m.Score(context.Background(), prompts, responses)
					if err != nil {
						t.Fatal(err)
					}
					for i := range got {
						if math.Abs(got[i]-want[i]) > 1e-6 {
							t.Errorf("sample %d: Rewards %g, Score of the text %g", i, got[i], want[i])
						}
					}
				})
			}
		}
	}
}

func TestSum(t *testing.T) {
	n := func(v float64) Func {
		return func(q, _ [][]int64) ([]float64, error) {
			out := make([]float64, len(q))
			for i := range out {
				out[i] = v * float64(i+1)
			}
			return out, nil
		}
	}
	s := Sum{{Scorer: n(1), Weight: 2, Name: "a"}, {Scorer: n(10), Weight: 0.5, Name: "b"}}
	got, err := s.Rewards(context.Background(), [][]int64{{1}, {2}}, [][]int64{{3}, {4}})
	if err != nil || got[0] != 7 || got[1] != 14 {
		t.Errorf("Sum = %v, %v; want [7 14]", got, err)
	}
	bad := Sum{{Scorer: Func(func(q, _ [][]int64) ([]float64, error) { return []float64{math.NaN()}, nil }), Weight: 1, Name: "nan"}}
	if _, err := bad.Rewards(context.Background(), [][]int64{{1}}, [][]int64{{2}}); err == nil || !strings.Contains(err.Error(), "reward nan") {
		t.Errorf("a NaN reward: %v", err)
	}
}
