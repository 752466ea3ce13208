package run

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/prompt"
	"github.com/gotrl/gotrl/pkg/train"
)

var petSet = []prompt.Example{
	{Fields: map[string]string{"text_a": "房间干净，服务热情！"}, Label: "1"},
	{Fields: map[string]string{"text_a": "服务好，早餐好。"}, Label: "1"},
	{Fields: map[string]string{"text_a": "干净，热情。"}, Label: "1"},
	{Fields: map[string]string{"text_a": "态度热情，好！"}, Label: "1"},
	{Fields: map[string]string{"text_a": "设施旧，很吵。"}, Label: "0"},
	{Fields: map[string]string{"text_a": "早餐差，吵。"}, Label: "0"},
	{Fields: map[string]string{"text_a": "房间旧，差！"}, Label: "0"},
	{Fields: map[string]string{"text_a": "服务态度差。"}, Label: "0"},
}

func petConfig(t *testing.T, trainable string, epochs int) PETConfig {
	cfg := DefaultPET()
	cfg.Train.OutputDir = t.TempDir()
	cfg.Train.Epochs, cfg.Train.BatchSize, cfg.Train.Seed = epochs, 4, 7
	cfg.Train.Optimizer.LR = 1e-2
	cfg.Trainable = trainable
	return cfg
}

// snapshot copies every parameter's values by name.
func snapshot(t *testing.T, r *Runner) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, v := range r.Store().Vars() {
		x, err := tensor.Float32s(v.T)
		if err != nil {
			t.Fatal(err)
		}
		out[v.Name] = x
	}
	return out
}

func changed(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return true
		}
	}
	return false
}

func TestPETTrainsOnlyTheChosenParameters(t *testing.T) {
	p := mustPrompt(t, "{mask}满意。{text_a}", prompt.Cloze, sentiment.labels, sentiment.words, prompt.Mean, prompt.Mean)
	run := func() (*Runner, PETConfig, map[string][]float32, map[string][]float32) {
		r := fixture(t, "bert")
		cfg := petConfig(t, `^cls\.predictions\.`, 8)
		before := snapshot(t, r)
		checkNoLeak(t, func() {
			if _, err := PET(context.Background(), r, p, petSet, cfg, train.Env{}, ""); err != nil {
				t.Fatal(err)
			}
		})
		return r, cfg, before, snapshot(t, r)
	}
	r, cfg, before, after := run()
	for name := range before {
		head := len(name) > 16 && name[:16] == "cls.predictions."
		if got := changed(before[name], after[name]); got != head {
			t.Errorf("%s: changed = %v, want %v", name, got, head)
		}
	}
	recs, err := train.ReadMetrics(cfg.Train.OutputDir)
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	for _, rec := range recs {
		if l, ok := rec["loss"]; ok {
			losses = append(losses, l)
		}
	}
	if len(losses) != 16 { // 8 epochs × 2 batches
		t.Fatalf("%d loss records, want 16", len(losses))
	}
	first, last := (losses[0]+losses[1])/2, (losses[14]+losses[15])/2
	if !(last < first) {
		t.Errorf("loss did not fall: first epoch %.4f, last epoch %.4f", first, last)
	}
	res, err := Evaluate(context.Background(), r, p, petSet, prompt.Demos{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accuracy < 0.75 {
		t.Errorf("training-set accuracy after PET %.3f, want >= 0.75", res.Accuracy)
	}

	t.Run("deterministic by seed", func(t *testing.T) {
		_, _, _, again := run()
		for name := range after {
			if changed(after[name], again[name]) {
				t.Errorf("%s differs between two runs with seed %d", name, cfg.Train.Seed)
			}
		}
	})
	t.Run("saved model scores the same", func(t *testing.T) {
		loaded, err := Load(cfg.Train.OutputDir, gotch.CPU, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer loaded.Close()
		want, err := Evaluate(context.Background(), r, p, petSet, prompt.Demos{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Evaluate(context.Background(), loaded, p, petSet, prompt.Demos{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Preds {
			if math.Abs(got.Preds[i].Probs[0]-want.Preds[i].Probs[0]) > 1e-6 {
				t.Errorf("example %d: reloaded %v, trained %v", i, got.Preds[i].Probs, want.Preds[i].Probs)
			}
		}
	})
}

func TestPETErrors(t *testing.T) {
	r := fixture(t, "bert")
	p := mustPrompt(t, "{mask}满意。{text_a}", prompt.Cloze, sentiment.labels, sentiment.words, "", "")
	bad := []prompt.Example{{Fields: map[string]string{"text_a": "好"}, Label: "2"}}
	if _, err := PET(context.Background(), r, p, bad, petConfig(t, "", 1), train.Env{}, ""); err == nil {
		t.Error("label outside the verbalizer: no error")
	}
	if _, err := PET(context.Background(), r, p, petSet, petConfig(t, "^nothing$", 1), train.Env{}, ""); err == nil {
		t.Error("pattern matching no parameter: no error")
	}
}

// TestSoftTokens checks that a soft token holding a word's embedding acts
// as that word, and that P-tuning with a frozen model moves the soft
// table only, which Save and Load keep.
func TestSoftTokens(t *testing.T) {
	ctx := context.Background()
	r := fixture(t, "bert")
	soft, err := r.WithSoft(2)
	if err != nil {
		t.Fatal(err)
	}
	tok := newCharTok()
	hard := mustPrompt(t, "很好{mask}满意。{text_a}", prompt.Cloze, sentiment.labels, sentiment.words, "", "")
	withSoft := mustPrompt(t, "{soft:2}{mask}满意。{text_a}", prompt.Cloze, sentiment.labels, sentiment.words, "", "")
	ids := []int64{tok.ids['很'], tok.ids['好']}
	err = tensor.Catch(func() {
		s := tensor.NewScope()
		defer s.Close()
		idx := s.T(tensor.FromInt64s(ids, []int64{2}, gotch.CPU))
		rows := s.T(r.f.(*mlm).m.Bert.Embeddings.Word.Weight.IndexSelect(0, idx, false))
		tensor.Check(tensor.CopyInto(soft.Weight, rows))
	})
	if err != nil {
		t.Fatal(err)
	}
	exs := []map[string]string{{"text_a": reviews[0]}, {"text_a": reviews[1]}}
	want, err := r.Classify(ctx, hard, exs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Classify(ctx, withSoft, exs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(got[i].Scores[0]-want[i].Scores[0]) > 1e-5 || math.Abs(got[i].Scores[1]-want[i].Scores[1]) > 1e-5 {
			t.Errorf("example %d: soft scores %v, hard-token scores %v", i, got[i].Scores, want[i].Scores)
		}
	}

	cfg := petConfig(t, `^prompt_encoder\.`, 2)
	before := snapshot(t, r)
	if _, err := PET(ctx, r, withSoft, petSet, cfg, train.Env{}, ""); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, r)
	for name := range before {
		if got := changed(before[name], after[name]); got != (name == SoftName) {
			t.Errorf("%s: changed = %v, want %v", name, got, name == SoftName)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.Train.OutputDir, SoftFile)); err != nil {
		t.Fatalf("soft tokens not saved: %v", err)
	}
	loaded, err := Load(cfg.Train.OutputDir, gotch.CPU, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	w, err := tensor.Float32s(loaded.f.(*mlm).soft.Weight)
	if err != nil {
		t.Fatal(err)
	}
	if changed(w, after[SoftName]) {
		t.Error("reloaded soft tokens differ from the trained ones")
	}
}

// TestPETDefaultTrainsTheMLMHead: PET's default pattern, BERT's
// cls.predictions, names the MLM head of the model the runner holds, so a
// RoBERTa MLM trains its lm_head (and no encoder weight) by default.
func TestPETDefaultTrainsTheMLMHead(t *testing.T) {
	for name, head := range map[string]string{"bert": "cls.predictions.", "roberta-mlm": "lm_head.", "xlm-roberta-mlm": "lm_head."} {
		r := fixture(t, name)
		if err := setTrainable(r.store, r.trainable(DefaultPET().Trainable)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, v := range r.store.Trainable() {
			if !strings.HasPrefix(v.Name, head) {
				t.Errorf("%s: %s trains under the default pattern, want only %s*", name, v.Name, head)
			}
		}
	}
}
