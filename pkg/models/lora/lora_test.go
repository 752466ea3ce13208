package lora

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/bert"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
	"github.com/gotrl/gotrl/pkg/train"
)

const fixtures = "../../../testdata/models"

// logitsFunc runs a model on ids and returns its LM logits [B, T, V].
type logitsFunc func(ids *tensor.Tensor) (*tensor.Tensor, error)

// family loads one fixture model into a fresh store.
type family struct {
	name    string
	targets []string
	load    func(t *testing.T) (*nn.Store, logitsFunc)
}

var families = []family{
	{"gpt2", []string{"c_attn", "c_fc"}, func(t *testing.T) (*nn.Store, logitsFunc) {
		m, store, err := gpt2.Load(filepath.Join(fixtures, "gpt2"), gotch.CPU)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(store.Close)
		return store, func(ids *tensor.Tensor) (*tensor.Tensor, error) {
			out, err := m.Forward(gpt2.Input{IDs: ids}, false)
			if err != nil {
				return nil, err
			}
			logits := out.Logits
			out.Logits = nil
			out.Close()
			return logits, nil
		}
	}},
	{"bert", []string{"query", "value"}, func(t *testing.T) (*nn.Store, logitsFunc) {
		m, store, err := bert.LoadMaskedLM(filepath.Join(fixtures, "bert"), gotch.CPU)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(store.Close)
		return store, func(ids *tensor.Tensor) (*tensor.Tensor, error) {
			out, err := m.Forward(bert.Input{IDs: ids}, false)
			if err != nil {
				return nil, err
			}
			logits := out.Logits
			out.Logits = nil
			out.Close()
			return logits, nil
		}
	}},
}

func testIDs(t *testing.T) *tensor.Tensor {
	t.Helper()
	ids, err := tensor.FromRows([][]int64{{5, 17, 42, 99, 7, 3}, {8, 8, 120, 64, 31, 2}}, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tensor.Free(ids) })
	return ids
}

// snapshot copies every store tensor's values.
func snapshot(t *testing.T, store *nn.Store) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, v := range store.Vars() {
		x, err := tensor.Float32s(v.T)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		out[v.Name] = x
	}
	return out
}

// logits runs f without grad and returns the values.
func logits(t *testing.T, f logitsFunc, ids *tensor.Tensor) []float32 {
	t.Helper()
	var vals []float32
	err := tensor.NoGrad(func() {
		y, err := f(ids)
		tensor.Check(err)
		defer tensor.Free(y)
		vals, err = tensor.Float32s(y)
		tensor.Check(err)
	})
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// step takes one AdamW step on the causal-LM loss of ids and returns it.
func step(t *testing.T, f logitsFunc, opt *train.AdamW, ids *tensor.Tensor) float64 {
	t.Helper()
	var loss float64
	err := tensor.Catch(func() {
		y, err := f(ids)
		tensor.Check(err)
		l := layers.CausalLMLoss(y, ids)
		tensor.Free(y)
		defer tensor.Free(l)
		tensor.Check(opt.ZeroGrad())
		tensor.Check(l.Backward())
		loss, err = tensor.Item(l)
		tensor.Check(err)
		tensor.Check(opt.Step(1e-2))
	})
	if err != nil {
		t.Fatal(err)
	}
	return loss
}

// TestTrainMergeSaveLoad trains LoRA on each family, then checks that only
// adapter tensors moved, that the merged model and a reloaded adapter give
// the adapted model's logits, and that nothing leaks.
func TestTrainMergeSaveLoad(t *testing.T) {
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			store, forward := fam.load(t)
			ids := testIDs(t)
			base := logits(t, forward, ids)
			cfg := Config{R: 4, Alpha: 8, Targets: fam.targets, TaskType: "CAUSAL_LM"}
			a, err := Apply(store, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(a.Summary())
			if d := maxDiff(logits(t, forward, ids), base); d != 0 {
				t.Fatalf("fresh adapter changes logits by %g (lora_B starts at zero)", d)
			}

			// (e) trainable = exactly the adapters, sized r·(in+out) each.
			var want int64
			var names []string
			for _, m := range a.modules {
				s := tensor.Shape(m.weight)
				want += int64(cfg.R) * (s[0] + s[1])
				names = append(names, m.name+".lora_A.weight", m.name+".lora_B.weight")
			}
			var got []string
			for _, v := range store.Trainable() {
				got = append(got, v.Name)
			}
			if !slices.Equal(got, names) {
				t.Fatalf("trainable %v, want %v", got, names)
			}
			if _, n := store.NumParams(); n != want {
				t.Fatalf("trainable params %d, want %d", n, want)
			}

			// (a) training moves only lora_* and lowers the loss.
			before := snapshot(t, store)
			opt, err := train.NewAdamW(store.Trainable(), train.DefaultAdamW())
			if err != nil {
				t.Fatal(err)
			}
			defer opt.Close()
			first := step(t, forward, opt, ids)
			live := tensor.Live()
			var last float64
			for range 5 {
				last = step(t, forward, opt, ids)
			}
			if d := tensor.Live() - live; d != 0 {
				t.Fatalf("%d tensors leaked by 5 training steps", d)
			}
			t.Logf("loss %.4f → %.4f", first, last)
			if last >= first {
				t.Fatalf("loss did not fall: %.4f → %.4f", first, last)
			}
			after := snapshot(t, store)
			for name, old := range before {
				changed := !slices.Equal(old, after[name])
				if changed != isLoRA(name) {
					t.Errorf("%s changed = %v", name, changed)
				}
			}

			// (c) adapter round trip into a fresh model.
			adapted := logits(t, forward, ids)
			dir := t.TempDir()
			if err := a.Save(dir); err != nil {
				t.Fatal(err)
			}
			store2, forward2 := fam.load(t)
			if _, err := Load(dir, store2); err != nil {
				t.Fatal(err)
			}
			if d := maxDiff(logits(t, forward2, ids), adapted); d != 0 {
				t.Errorf("reloaded adapter: max |Δ logits| %g", d)
			}

			// (b) merged weights reproduce the adapted logits.
			live = tensor.Live()
			if err := a.Merge(); err != nil {
				t.Fatal(err)
			}
			if d := live - tensor.Live(); d != int64(len(names)) {
				t.Errorf("merge freed %d tensors, want %d (the adapters)", d, len(names))
			}
			merged := logits(t, forward, ids)
			d := maxDiff(merged, adapted)
			t.Logf("merged vs adapter: max |Δ logits| %.3g (vs base %.3g)", d, maxDiff(merged, base))
			if d > 1e-5 {
				t.Errorf("merged vs adapter: max |Δ logits| %g > 1e-5", d)
			}
			if maxDiff(merged, base) < 1e-4 {
				t.Errorf("training left the logits at the base model's")
			}
			for _, v := range store.Vars() {
				if isLoRA(v.Name) {
					t.Errorf("%s still in the store after Merge", v.Name)
				}
			}
		})
	}
}

func TestAdapterFile(t *testing.T) {
	store, _ := families[0].load(t)
	a, err := Apply(store, Config{R: 2, Alpha: 16, Dropout: 0.05, Targets: []string{"c_attn"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := a.Save(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"peft_type": "LORA"`, `"r": 2`, `"lora_alpha": 16`, `"lora_dropout": 0.05`,
		`"target_modules": [`, `"fan_in_fan_out": true`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("adapter_config.json lacks %s:\n%s", want, data)
		}
	}
	ck, err := weights.Open(filepath.Join(dir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	saved := slices.Sorted(slices.Values(ck.Names()))
	ck.Close()
	want := []string{
		"base_model.model.transformer.h.0.attn.c_attn.lora_A.weight",
		"base_model.model.transformer.h.0.attn.c_attn.lora_B.weight",
		"base_model.model.transformer.h.1.attn.c_attn.lora_A.weight",
		"base_model.model.transformer.h.1.attn.c_attn.lora_B.weight",
	}
	if !slices.Equal(saved, want) {
		t.Errorf("adapter tensors %v, want %v", saved, want)
	}
	// Loading into a model with a different r must fail on shape.
	data = []byte(strings.Replace(string(data), `"r": 2`, `"r": 3`, 1))
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	store2, _ := families[0].load(t)
	n := len(store2.Vars())
	if _, err := Load(dir, store2); err == nil || !strings.Contains(err.Error(), "has shape") {
		t.Fatalf("r mismatch: error %v", err)
	}
	if len(store2.Vars()) != n {
		t.Errorf("failed Load left %d extra variables", len(store2.Vars())-n)
	}
}

func TestApplyErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"r zero", Config{R: 0, Alpha: 8, Targets: []string{"c_attn"}}, "r = 0, want ≥ 1"},
		{"alpha zero", Config{R: 2, Targets: []string{"c_attn"}}, "lora_alpha = 0"},
		{"dropout one", Config{R: 2, Alpha: 8, Dropout: 1, Targets: []string{"c_attn"}}, "lora_dropout = 1"},
		{"no targets", Config{R: 2, Alpha: 8}, "target_modules is empty"},
		{"unknown target", Config{R: 2, Alpha: 8, Targets: []string{"c_attn", "query"}},
			`target_modules[1] "query" matches no Linear or Conv1D; available: transformer.h.0.attn.c_attn, transformer.h.0.attn.c_proj`},
		{"partial name", Config{R: 2, Alpha: 8, Targets: []string{"attn"}}, `"attn" matches no`},
	}
	store, _ := families[0].load(t)
	vars := len(store.Vars())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Apply(store, c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
			if n := len(store.Vars()); n != vars {
				t.Fatalf("failed Apply left %d variables, had %d", n, vars)
			}
			if _, tr := store.NumParams(); tr == 0 {
				t.Fatal("failed Apply froze the model")
			}
		})
	}
	if _, err := Apply(store, Config{R: 2, Alpha: 8, Targets: []string{"c_proj"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(store, Config{R: 2, Alpha: 8, Targets: []string{"c_proj"}}); err == nil || !strings.Contains(err.Error(), "already has an adapter") {
		t.Fatalf("second Apply: error %v", err)
	}
}

func TestDropoutOnlyWhenTraining(t *testing.T) {
	store, forward := families[0].load(t)
	ids := testIDs(t)
	a, err := Apply(store, Config{R: 4, Alpha: 8, Dropout: 0.5, Targets: []string{"c_attn"}})
	if err != nil {
		t.Fatal(err)
	}
	// Make B non-zero so the adapter's path shows in the logits.
	for _, m := range a.modules {
		err := tensor.NoGrad(func() {
			s := tensor.NewScope()
			defer s.Close()
			tensor.Check(m.b.Fill_(s.Float(0.1)))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	eval1, eval2 := logits(t, forward, ids), logits(t, forward, ids)
	if d := maxDiff(eval1, eval2); d != 0 {
		t.Fatalf("eval outputs differ by %g", d)
	}
	a.Train = true
	if d := maxDiff(logits(t, forward, ids), eval1); d == 0 {
		t.Fatal("Train = true: lora_dropout had no effect")
	}
}

// TestTargetMatching counts adapted modules as PEFT's suffix rule gives
// them: per layer, GPT-2 has one c_attn and two c_proj (attn, mlp), and a
// T5 decoder block has q and v in both self- and cross-attention. With
// layers_to_transform the layer index is what check_target_module_exists
// reads: with no layers_pattern, the number after the last ".<name>." in
// the name, which for T5 is <i> of block.<n>.layer.<i> (0: self-attention,
// 1: the decoder's cross-attention); an exact name is adapted whatever its
// layer. peft 0.13.2's get_peft_model adapts as many modules on these
// fixtures for the layers_to_transform cases.
func TestTargetMatching(t *testing.T) {
	cases := []struct {
		name    string
		load    func(*testing.T) *nn.Store
		targets []string
		layers  []int
		pattern []string
		want    int
	}{
		{"gpt2 c_attn", loadGPT2, []string{"c_attn"}, nil, nil, 2},
		{"gpt2 c_proj", loadGPT2, []string{"c_proj"}, nil, nil, 4},
		{"gpt2 mlp.c_proj", loadGPT2, []string{"mlp.c_proj"}, nil, nil, 2},
		{"t5 q v", loadT5, []string{"q", "v"}, nil, nil, 2*2 + 2*4},
		{"t5 full name", loadT5, []string{"decoder.block.1.layer.1.EncDecAttention.v"}, nil, nil, 1},
		{"gpt2 c_proj layer 0", loadGPT2, []string{"c_proj"}, []int{0}, nil, 2},
		{"gpt2 c_proj layer 1 of h", loadGPT2, []string{"c_proj"}, []int{1}, []string{"h"}, 2},
		{"gpt2 full name in another layer", loadGPT2, []string{"transformer.h.0.attn.c_attn"}, []int{1}, nil, 1},
		{"t5 q v layer 1", loadT5, []string{"q", "v"}, []int{1}, nil, 2 * 2},
		{"t5 q v layer 0", loadT5, []string{"q", "v"}, []int{0}, nil, 2*2 + 2*2},
		{"t5 q v block 1", loadT5, []string{"q", "v"}, []int{1}, []string{"block"}, 2 + 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := Apply(c.load(t), Config{R: 2, Alpha: 4, Targets: c.targets, LayersToTransform: c.layers, LayersPattern: c.pattern})
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Modules(); len(got) != c.want {
				t.Fatalf("adapted %d modules %v, want %d", len(got), got, c.want)
			}
		})
	}
}

// TestReadConfigRefuses: every adapter_config.json option gotrl would not
// compute as peft 0.13.2 does is refused, naming the file and the field.
func TestReadConfigRefuses(t *testing.T) {
	const lora = `"peft_type": "LORA", "r": 2, "lora_alpha": 4`
	cases := []struct {
		name, json, want string
	}{
		{"prefix tuning", `{"peft_type": "PREFIX_TUNING", "num_virtual_tokens": 20, "target_modules": ["q"]}`, `peft_type "PREFIX_TUNING"`},
		{"no peft_type", `{"r": 2, "lora_alpha": 4, "target_modules": ["q"]}`, `peft_type "", want "LORA"`},
		{"bias all with modules_to_save", `{` + lora + `, "target_modules": ["q"], "bias": "all", "modules_to_save": ["ln_f"]}`, `bias "all" with modules_to_save [ln_f]`},
		{"bias all with SEQ_CLS", `{` + lora + `, "target_modules": ["q"], "bias": "all", "task_type": "SEQ_CLS"}`, `bias "all" with modules_to_save [score classifier]`},
		{"bias unknown", `{` + lora + `, "target_modules": ["q"], "bias": "some"}`, `bias "some"`},
		{"dora", `{` + lora + `, "target_modules": ["q"], "use_dora": true}`, "use_dora"},
		{"unknown key", `{` + lora + `, "target_modules": ["q"], "lora_scale": 2, "exclude_modules": null, "dora_rank": 1}`, "unknown key dora_rank, lora_scale"},
		{"later key set", `{` + lora + `, "target_modules": ["q"], "exclude_modules": ["c_proj"]}`, `exclude_modules ["c_proj"]`},
		{"later flag set", `{` + lora + `, "target_modules": ["q"], "lora_bias": true}`, "lora_bias true"},
		{"qalora", `{` + lora + `, "target_modules": ["q"], "use_qalora": true, "qalora_group_size": 16}`, "use_qalora true"},
		{"layer replication", `{` + lora + `, "target_modules": ["q"], "layer_replication": [[0, 1], [0, 2]]}`, "layer_replication [[0,1],[0,2]]"},
		{"megatron", `{` + lora + `, "target_modules": ["q"], "megatron_config": {"num_layers": 2}}`, "megatron_config"},
		{"pissa", `{` + lora + `, "target_modules": ["q"], "init_lora_weights": "pissa"}`, `init_lora_weights "pissa"`},
		{"pissa niter", `{` + lora + `, "target_modules": ["q"], "init_lora_weights": "pissa_niter_4"}`, `init_lora_weights "pissa_niter_4"`},
		{"olora", `{` + lora + `, "target_modules": ["q"], "init_lora_weights": "olora"}`, `init_lora_weights "olora"`},
		{"loftq", `{` + lora + `, "target_modules": ["q"], "init_lora_weights": "loftq", "loftq_config": {"loftq_bits": 4}}`, `init_lora_weights "loftq"`},
		{"init number", `{` + lora + `, "target_modules": ["q"], "init_lora_weights": 3}`, "init_lora_weights 3"},
		{"token cls", `{` + lora + `, "target_modules": ["q"], "task_type": "TOKEN_CLS"}`, `task_type "TOKEN_CLS"`},
		{"regex and layers", `{` + lora + `, "target_modules": ".*q", "layers_to_transform": [0]}`, "layers_to_transform and layers_pattern cannot be used when target_modules is a string"},
		{"regex and pattern", `{` + lora + `, "target_modules": ".*q", "layers_pattern": "block"}`, "layers_pattern cannot be used"},
		{"bad regex", `{` + lora + `, "target_modules": "(?=q)"}`, `target_modules "(?=q)"`},
		{"empty regex", `{` + lora + `, "target_modules": ""}`, "target_modules"},
		{"target number", `{` + lora + `, "target_modules": 3}`, "target_modules"},
		{"bad layers pattern", `{` + lora + `, "target_modules": ["q"], "layers_to_transform": 1, "layers_pattern": "h("}`, `layers_pattern "h("`},
		{"rank pattern zero", `{` + lora + `, "target_modules": ["q"], "rank_pattern": {"q": 0}}`, `rank_pattern["q"] = 0`},
		{"rank pattern fraction", `{` + lora + `, "target_modules": ["q"], "rank_pattern": {"q": 2.5}}`, `rank_pattern["q"] = 2.5`},
		{"rank pattern list", `{` + lora + `, "target_modules": ["q"], "rank_pattern": [2]}`, "rank_pattern"},
		{"alpha pattern zero", `{` + lora + `, "target_modules": ["q"], "alpha_pattern": {"q": 0}}`, `alpha_pattern["q"] = 0`},
		{"alpha pattern regex", `{` + lora + `, "target_modules": ["q"], "alpha_pattern": {"q)": 8}}`, `alpha_pattern "q)"`},
		{"r zero", `{"peft_type": "LORA", "r": 0, "lora_alpha": 4, "target_modules": ["q"]}`, "r = 0"},
		{"bad json", `{"peft_type": "LORA", "r": "2"}`, `r: "2" is not a valid int`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeConfig(t, c.json)
			_, err := ReadConfig(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), filepath.Join(dir, ConfigFile)) {
				t.Fatalf("error %v, want it to name %s and contain %q", err, filepath.Join(dir, ConfigFile), c.want)
			}
		})
	}
	cfg, err := ReadConfig(writeConfig(t, `{"peft_type": "LORA", "r": 8, "lora_alpha": 16, "lora_dropout": 0.1, "target_modules": ["q", "v"], "task_type": "SEQ_2_SEQ_LM", "bias": "none"}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Config{R: 8, Alpha: 16, Dropout: 0.1, Targets: []string{"q", "v"}, TaskType: "SEQ_2_SEQ_LM", Bias: BiasNone}); !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config %+v, want %+v", cfg, want)
	}
}

// TestReadConfigAccepts: the options that do not change what a loaded
// adapter computes are read, in every JSON form peft writes, and the ones
// that do come back as Config fields.
func TestReadConfigAccepts(t *testing.T) {
	cfg, err := ReadConfig(writeConfig(t, `{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["c_attn"],
		"fan_in_fan_out": false, "inference_mode": false, "init_lora_weights": "gaussian", "loftq_config": {},
		"megatron_config": null, "megatron_core": "megatron.core", "layer_replication": null, "revision": "main",
		"auto_mapping": null, "runtime_config": {"ephemeral_gpu_offload": true}, "use_dora": false, "bias": "none",
		"layers_to_transform": 1, "layers_pattern": "h", "use_rslora": true, "task_type": "SEQ_CLS", "modules_to_save": ["ln_f"],
		"rank_pattern": {"z": 2, "a": 3}, "alpha_pattern": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{R: 4, Alpha: 8, Targets: []string{"c_attn"}, TaskType: TaskSeqCls,
		ModulesToSave:     []string{"ln_f", "score", "classifier"}, // PeftModelForSequenceClassification's heads
		LayersToTransform: []int{1}, LayersPattern: []string{"h"}, RSLoRA: true,
		RankPattern: Pattern{{"z", 2}, {"a", 3}}, Bias: BiasNone}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config %+v,\nwant   %+v", cfg, want)
	}
	// a later peft's file: its own fields at their defaults
	later, err := ReadConfig(writeConfig(t, `{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["c_attn"],
		"peft_version": "0.17.1", "exclude_modules": null, "trainable_token_indices": null, "eva_config": null,
		"corda_config": null, "lora_bias": false, "use_qalora": false, "qalora_group_size": 16, "target_parameters": null,
		"alora_invocation_tokens": null, "arrow_config": null, "ensure_weight_tying": false, "layer_replication": null}`))
	if want := (Config{R: 4, Alpha: 8, Targets: []string{"c_attn"}}); err != nil || !reflect.DeepEqual(later, want) {
		t.Fatalf("a later peft's file: config %+v, %v; want %+v", later, err, want)
	}
	for _, init := range []string{"true", "false"} {
		if _, err := ReadConfig(writeConfig(t, `{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": null, "init_lora_weights": `+init+`}`)); err != nil {
			t.Errorf("init_lora_weights %s: %v", init, err)
		}
	}
}

func writeConfig(t *testing.T, json string) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLoadRefuses: an adapter whose weight file disagrees with its config,
// or whose config selects modules gotrl cannot adapt, fails naming the
// file and the tensor or field, and leaves the store as it was.
func TestLoadRefuses(t *testing.T) {
	const src = "../../../testdata/peft/gpt2-lora"
	const a0 = "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"
	cases := []struct {
		name    string
		config  func(map[string]any)
		tensors func(map[string]*tensor.Tensor)
		file    string // the file the error names
		want    string
	}{
		{"missing tensor", nil, func(m map[string]*tensor.Tensor) { delete(m, a0) }, WeightsFile, "missing tensor " + a0},
		{"extra tensor", nil, func(m map[string]*tensor.Tensor) {
			m["base_model.model.transformer.wte.lora_embedding_A"] = m[a0]
		}, WeightsFile, "unexpected tensors base_model.model.transformer.wte.lora_embedding_A"},
		// transformers' GPT-2 has an lm_head module (tied to wte); gotrl's
		// has none, so the saved copy has nowhere to go.
		{"modules_to_save lm_head", func(c map[string]any) { c["modules_to_save"] = []string{"lm_head"} },
			func(m map[string]*tensor.Tensor) { m["base_model.model.lm_head.weight"] = m[a0] },
			WeightsFile, "unexpected tensors base_model.model.lm_head.weight"},
		// peft's GPT-2 would train a copy of wte that its tied lm_head
		// does not use.
		{"modules_to_save wte", func(c map[string]any) { c["modules_to_save"] = []string{"wte"} },
			func(m map[string]*tensor.Tensor) { m["base_model.model.transformer.wte.weight"] = m[a0] },
			ConfigFile, "modules_to_save [wte] names transformer.wte, an embedding the model shares with other modules"},
		{"rank_pattern shape", func(c map[string]any) { c["rank_pattern"] = map[string]int{"h.0.attn.c_attn": 2} }, nil,
			WeightsFile, a0 + " has shape [4 32], want [2 32]"},
		{"regex matches a norm", func(c map[string]any) { c["target_modules"] = `.*\.ln_1` }, nil,
			ConfigFile, `target_modules ".*\\.ln_1" matches transformer.h.0.ln_1, transformer.h.1.ln_1, which is not a Linear or Conv1D`},
		{"regex matches a block", func(c map[string]any) { c["target_modules"] = `.*\.h\.0(\.attn\.c_attn)?` }, nil,
			ConfigFile, "matches transformer.h.0, which is not"},
		{"regex matches nothing", func(c map[string]any) { c["target_modules"] = `c_attn` }, nil,
			ConfigFile, `target_modules "c_attn" matches no Linear or Conv1D`},
		{"layers out of range", func(c map[string]any) { c["layers_to_transform"] = 5 }, nil,
			ConfigFile, `target_modules ["c_attn"] matches no Linear or Conv1D in layers_to_transform [5]`},
		{"null targets", func(c map[string]any) { c["target_modules"] = nil }, nil, ConfigFile, "target_modules is null"},
		{"no weights", nil, func(m map[string]*tensor.Tensor) { clear(m) }, "", "has neither adapter_model.safetensors nor adapter_model.bin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			data, err := os.ReadFile(filepath.Join(src, ConfigFile))
			if err != nil {
				t.Fatal(err)
			}
			if c.config != nil {
				var m map[string]any
				if err := json.Unmarshal(data, &m); err != nil {
					t.Fatal(err)
				}
				c.config(m)
				if data, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, ConfigFile), data, 0o644); err != nil {
				t.Fatal(err)
			}
			ts, err := weights.ReadTensors(filepath.Join(src, WeightsFile), gotch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			all := maps.Clone(ts)
			defer func() {
				for _, x := range all {
					tensor.Free(x)
				}
			}()
			if c.tensors != nil {
				c.tensors(ts)
			}
			if len(ts) > 0 {
				if err := weights.SaveTensors(filepath.Join(dir, WeightsFile), ts); err != nil {
					t.Fatal(err)
				}
			}
			store, _ := families[0].load(t)
			n := len(store.Vars())
			_, err = Load(dir, store)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), filepath.Join(dir, c.file)) {
				t.Fatalf("error %v,\nwant it to name %s and contain %q", err, filepath.Join(dir, c.file), c.want)
			}
			if len(store.Vars()) != n {
				t.Errorf("failed Load left %d extra variables", len(store.Vars())-n)
			}
		})
	}
}
