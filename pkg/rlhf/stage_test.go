package rlhf

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/rlhf/reward"
	"github.com/gotrl/gotrl/pkg/train"
)

// fixture is a tiny random HF checkpoint from testdata/models (vocab 512).
func fixture(name string) string { return filepath.Join("..", "..", "testdata", "models", name) }

// withConfig returns a copy of the checkpoint dir whose config.json has
// the given keys set; the weights are linked, not copied.
func withConfig(t *testing.T, dir string, set map[string]any) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	maps.Copy(c, set)
	if raw, err = json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "config.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(out, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	return out
}

// testVocab writes a small WordPiece vocabulary (ids < 512, as the
// fixtures' embeddings) and returns its directory.
func testVocab(t *testing.T) string {
	t.Helper()
	words := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	for c := 'a'; c <= 'z'; c++ {
		words = append(words, string(c), "##"+string(c))
	}
	for c := '0'; c <= '9'; c++ {
		words = append(words, string(c))
	}
	words = append(words, strings.Split("的一是在不了有和人这中大为上个国我以要他", "")...)
	for k := range 5 {
		words = append(words, fmt.Sprintf("<extra_id_%d>", k))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte(strings.Join(words, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeLines(t *testing.T, name string, lines []string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func jsonl(t *testing.T, recs []map[string]any) string {
	t.Helper()
	var lines []string
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	return writeLines(t, "data.jsonl", lines)
}

// sftRecords are prompt → response pairs a tiny model can start to learn.
func sftRecords(n int) []map[string]any {
	var out []map[string]any
	for i := range n {
		a := string(rune('a' + i%26))
		out = append(out, map[string]any{"prompt": "中国 " + a + " 的", "response": a + " " + a + " 大"})
	}
	return out
}

func shortTrain(dir string) train.Config {
	c := train.DefaultConfig()
	c.OutputDir, c.MaxSteps, c.BatchSize, c.SaveEvery, c.EvalEvery = dir, 4, 4, 2, 2
	c.Optimizer.LR = 1e-3
	return c
}

func TestSFTRunResumeAndErrors(t *testing.T) {
	vocab, out := testVocab(t), filepath.Join(t.TempDir(), "run")
	cfg := DefaultSFT()
	cfg.Train = shortTrain(out)
	cfg.Model.Init = fixture("gpt2")
	cfg.Data = DataConfig{Tokenizer: vocab, Path: data.Files{jsonl(t, sftRecords(24))}, EvalFraction: 0.25, MaxLen: 16}
	cfg.Samples = 2
	ctx := context.Background()
	st, err := SFT(ctx, cfg, train.Env{Device: gotch.CPU})
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != 4 {
		t.Errorf("ended at step %d, want 4", st.Step)
	}
	recs, err := train.ReadMetrics(out)
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	for _, k := range []string{"eval/loss", "eval/accuracy", "eval/perplexity"} {
		if _, ok := last[k]; !ok {
			t.Errorf("last record %v lacks %s", last, k)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "checkpoint-4", "config.json"))
	if err != nil || !strings.Contains(string(b), "GPT2LMHeadModel") {
		t.Errorf("checkpoint config: %v %s", err, b)
	}
	if _, err := os.Stat(filepath.Join(out, train.ConfigFile)); err != nil {
		t.Error(err)
	}

	if _, err := SFT(ctx, cfg, train.Env{Device: gotch.CPU}); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("second run into %s: %v, want an error naming --resume", out, err)
	}
	cfg.Train.MaxSteps = 6
	if st, err := SFT(ctx, cfg, train.Env{Device: gotch.CPU, Resume: true}); err != nil || st.Step != 6 {
		t.Errorf("resumed run: step %d, %v; want 6", st.Step, err)
	}
	rm := DefaultRM()
	rm.Train = shortTrain(out)
	rm.Model.Init = fixture("gpt2")
	rm.Data = DataConfig{Tokenizer: vocab, Path: cfg.Data.Path, MaxLen: 16}
	if _, err := RM(ctx, rm, train.Env{Device: gotch.CPU, Resume: true}); err == nil || !strings.Contains(err.Error(), `"sft causal"`) {
		t.Errorf("rm --resume of an sft run: %v, want an error naming the sft stage", err)
	}
}

func TestBadInputs(t *testing.T) {
	vocab := testVocab(t)
	pref := jsonl(t, []map[string]any{{"prompt": "a", "chosen": "b", "rejected": "c"}})
	sft := jsonl(t, sftRecords(3))
	labeled := jsonl(t, []map[string]any{{"text": "的", "label": 0}, {"text": "一", "label": 1}})
	regression := withConfig(t, fixture("bert-seqcls"), map[string]any{"problem_type": "regression"})
	tests := []struct {
		name string
		run  func(dir string) error
		want []string
	}{
		{"classifier of a regression checkpoint", func(dir string) error {
			c := DefaultClassifier()
			c.Train = shortTrain(dir)
			c.Model.Init = regression
			c.Data = DataConfig{Tokenizer: vocab, Path: data.Files{labeled}, MaxLen: 16}
			_, err := Classifier(context.Background(), c, train.Env{Device: gotch.CPU})
			return err
		}, []string{regression, `problem_type "regression"`, "single_label_classification"}},
		{"sft on preference data", func(dir string) error {
			c := DefaultSFT()
			c.Train = shortTrain(dir)
			c.Model.Init = fixture("gpt2")
			c.Data = DataConfig{Tokenizer: vocab, Path: data.Files{pref}, MaxLen: 16}
			_, err := SFT(context.Background(), c, train.Env{Device: gotch.CPU})
			return err
		}, []string{pref + ":1", `"response"`}},
		{"rm on sft data", func(dir string) error {
			c := DefaultRM()
			c.Train = shortTrain(dir)
			c.Model.Init = fixture("gpt2")
			c.Data = DataConfig{Tokenizer: vocab, Path: data.Files{sft}, MaxLen: 16}
			_, err := RM(context.Background(), c, train.Env{Device: gotch.CPU})
			return err
		}, []string{sft + ":1", `"chosen"`}},
		{"no model", func(dir string) error {
			c := DefaultSFT()
			c.Train = shortTrain(dir)
			c.Data = DataConfig{Tokenizer: vocab, Path: data.Files{sft}, MaxLen: 16}
			_, err := SFT(context.Background(), c, train.Env{Device: gotch.CPU})
			return err
		}, []string{"model_name_or_path", "config_name"}},
		{"sft of an encoder", func(dir string) error {
			c := DefaultSFT()
			c.Train = shortTrain(dir)
			c.Model.Init = fixture("bert")
			c.Data = DataConfig{Tokenizer: vocab, Path: data.Files{sft}, MaxLen: 16}
			_, err := SFT(context.Background(), c, train.Env{Device: gotch.CPU})
			return err
		}, []string{"masked", "decoders"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(filepath.Join(t.TempDir(), "run"))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestStepGivesEveryParameterAGradient runs one loss and backward per
// stage and family and requires a non-zero gradient on every trainable
// parameter (TRL's trainer tests).
func TestStepGivesEveryParameterAGradient(t *testing.T) {
	row := func(n int, first int64) []int64 {
		r := make([]int64, n)
		for i := range r {
			r[i] = first + int64(i*7)%40
		}
		return r
	}
	batch := data.Batch{
		InputIDs:      [][]int64{row(6, 5), append(row(4, 9), 0, 0)},
		AttentionMask: [][]int64{{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}},
		TypeIDs:       [][]int64{{0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 0, 0}},
		Labels:        [][]int64{row(6, 5), append(row(4, 9), -100, -100)},
		Lens:          []int{6, 4},
	}
	pair := pairBatch{batch, batch}
	pair.B.InputIDs = [][]int64{row(6, 11), append(row(4, 3), 0, 0)}
	open := func(dir string, task models.Task) (models.Model, error) {
		return models.Load(fixture(dir), models.Options{Device: gotch.CPU, Task: task, Partial: task == models.TaskReward,
			Tokens: &models.Tokens{BOS: -1, EOS: -1, Pad: 0, DecoderStart: -1}})
	}
	lmLoss := func(dir string, logits func(models.LM) func(data.Batch, bool) (*tensor.Tensor, *tensor.Tensor)) func() (models.Model, func() (*tensor.Tensor, error), error) {
		return func() (models.Model, func() (*tensor.Tensor, error), error) {
			m, err := open(dir, models.TaskLM)
			if err != nil {
				return nil, nil, err
			}
			st := &lmStage[data.Batch]{m: m, logits: logits(m.(models.LM))}
			return m, func() (*tensor.Tensor, error) { l, _, err := st.Loss(batch); return l, err }, nil
		}
	}
	rmLoss := func(dir string) func() (models.Model, func() (*tensor.Tensor, error), error) {
		return func() (models.Model, func() (*tensor.Tensor, error), error) {
			m, err := open(dir, models.TaskReward)
			if err != nil {
				return nil, nil, err
			}
			st := &rmStage{m: m.(models.Classifier), score: scoreOf(m.(models.Classifier))}
			return m, func() (*tensor.Tensor, error) { l, _, err := st.Loss(pair); return l, err }, nil
		}
	}
	tests := []struct {
		name  string
		build func() (models.Model, func() (*tensor.Tensor, error), error)
	}{
		{"causal gpt2", lmLoss("gpt2", causalLogits)},
		{"mlm bert", lmLoss("bert", maskedLogits)},
		{"span t5", func() (models.Model, func() (*tensor.Tensor, error), error) {
			m, err := open("t5", models.TaskLM)
			if err != nil {
				return nil, nil, err
			}
			st := &lmStage[pairBatch]{m: m, logits: seq2seqLogits(m.(models.LM))}
			return m, func() (*tensor.Tensor, error) { l, _, err := st.Loss(pair); return l, err }, nil
		}},
		{"rm gpt2 from an lm checkpoint", rmLoss("gpt2")},
		{"rm bert", rmLoss("bert")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, loss, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			l, err := loss()
			if err != nil {
				t.Fatal(err)
			}
			defer tensor.Free(l)
			if err := tensor.Catch(func() { tensor.Check(l.Backward()) }); err != nil {
				t.Fatal(err)
			}
			for _, v := range m.Store().Trainable() {
				if !hasGrad(t, v) && !shiftsReward[v.Name] {
					t.Errorf("%s got no gradient", v.Name)
				}
			}
		})
	}
}

// shiftsReward lists the parameters that add the same constant to every
// reward (the bias under GPT-2's bias-free linear score, the value head's
// bias): the pairwise loss depends on r_chosen − r_rejected only, so their
// gradient is exactly zero, in TRL as here.
var shiftsReward = map[string]bool{"transformer.ln_f.bias": true, "v_head.summary.bias": true}

func hasGrad(t *testing.T, v *nn.Var) bool {
	t.Helper()
	var nonzero bool
	err := tensor.NoGrad(func() {
		g, err := v.T.Grad(false)
		tensor.Check(err)
		defer tensor.Free(g)
		if ok, _ := g.Defined(); !ok {
			return
		}
		vals, err := tensor.Float32s(g)
		tensor.Check(err)
		for _, x := range vals {
			nonzero = nonzero || x != 0
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return nonzero
}

func TestRMRunAndScore(t *testing.T) {
	vocab, out := testVocab(t), filepath.Join(t.TempDir(), "rm")
	var recs []map[string]any
	for i := range 12 {
		a := string(rune('a' + i))
		recs = append(recs, map[string]any{"prompt": "中国" + a, "responses": []string{a + " 的 大", a + " 人", ""}})
	}
	cfg := DefaultRM()
	cfg.Schema = "ranked"
	cfg.Train = shortTrain(out)
	cfg.Model.Init = fixture("gpt2")
	cfg.Data = DataConfig{Tokenizer: vocab, Path: data.Files{jsonl(t, recs)}, EvalFraction: 0.25, MaxLen: 16}
	if _, err := RM(context.Background(), cfg, train.Env{Device: gotch.CPU}); err != nil {
		t.Fatal(err)
	}
	rs, err := train.ReadMetrics(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rs[len(rs)-1]["eval/accuracy"]; !ok {
		t.Errorf("last record %v lacks eval/accuracy", rs[len(rs)-1])
	}
	m, err := reward.Open(out, reward.Options{Device: gotch.CPU, Tokenizer: vocab, MaxLength: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r, err := m.Score(context.Background(), []string{"中国a", "中国a"}, []string{"a 的 大", ""})
	if err != nil || len(r) != 2 || r[0] == r[1] {
		t.Fatalf("Score = %v, %v; want two different rewards", r, err)
	}
}

func TestPretrainObjectives(t *testing.T) {
	vocab := testVocab(t)
	var lines []string
	for i := range 40 {
		lines = append(lines, strings.Repeat(string(rune('a'+i%26))+" 中 国 ", 3)+"的")
	}
	corpus := writeLines(t, "corpus.txt", lines)
	for _, model := range []string{"gpt2", "bert", "t5"} {
		t.Run(model, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			cfg := DefaultPretrain()
			cfg.Train = shortTrain(out)
			cfg.Model.Init = fixture(model)
			cfg.Data = DataConfig{Tokenizer: vocab, Path: data.Files{corpus}, EvalFraction: 0.2, MaxLen: 16}
			cfg.WholeWord = model == "bert"
			if _, err := Pretrain(context.Background(), cfg, train.Env{Device: gotch.CPU}); err != nil {
				t.Fatal(err)
			}
			rs, err := train.ReadMetrics(out)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := rs[len(rs)-1]["eval/perplexity"]; !ok {
				t.Errorf("last record %v lacks eval/perplexity", rs[len(rs)-1])
			}
		})
	}
}

// TestClassifierLearns fine-tunes a BERT and a GPT-2 sequence classifier
// on texts whose label is which of two words they contain: held-out
// accuracy must beat chance clearly, and the saved model scores as a
// reward with its positive class.
func TestClassifierLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	vocab := testVocab(t)
	var recs []map[string]any
	words := strings.Split("的一是在不了有和人这中大为上个国我以要他", "")
	for i := range 64 {
		label := i % 2
		mark := []string{"不", "大"}[label]
		recs = append(recs, map[string]any{"text": words[i%len(words)] + mark + words[(i*7)%len(words)], "label": label})
	}
	for _, model := range []string{"bert", "gpt2"} {
		t.Run(model, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			cfg := DefaultClassifier()
			cfg.Train = shortTrain(out)
			cfg.Train.MaxSteps, cfg.Train.BatchSize, cfg.Train.Optimizer.LR, cfg.Train.EvalEvery = 40, 8, 3e-3, 40
			cfg.Train.Metric, cfg.Train.GreaterIsBetter = "eval_accuracy", true
			cfg.Model.Init = fixture(model)
			cfg.Data = DataConfig{Tokenizer: vocab, Path: data.Files{jsonl(t, recs)}, EvalFraction: 0.25, MaxLen: 16}
			st, err := Classifier(context.Background(), cfg, train.Env{Device: gotch.CPU})
			if err != nil {
				t.Fatal(err)
			}
			if st.Best == nil || *st.Best < 0.8 {
				best := -1.0
				if st.Best != nil {
					best = *st.Best
				}
				t.Fatalf("best eval accuracy %.3f, want ≥ 0.8 on a two-word rule", best)
			}
			m, err := reward.Open(out, reward.Options{Device: gotch.CPU, Tokenizer: vocab, Label: 1, Output: reward.Probability})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			p, err := m.Score(context.Background(), []string{"", ""}, []string{"的大人", "的不人"})
			if err != nil || p[0] <= p[1] {
				t.Errorf("P(label 1): %v, %v; want the 大 text above the 不 text", p, err)
			}
		})
	}
}
