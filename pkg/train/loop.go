package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/dist"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// ErrInterrupted is returned by Run when its context is cancelled (SIGINT):
// a checkpoint was saved first, and --resume continues from it.
var ErrInterrupted = errors.New("training interrupted")

// ErrNonFinite is wrapped by Run's error when a loss or gradient norm is
// NaN or infinite; the last good checkpoint is left untouched.
var ErrNonFinite = errors.New("non-finite loss")

// Loop trains one stage: nanoGPT's train.py loop as a type. Each step: seed
// → accumulate micro-batches (forward, backward) → clip → AdamW step → log
// → evaluate and early-stop → checkpoint.
type Loop[B any] struct {
	cfg   Config
	stage Stage[B]
	data  Data[B]
	vars  []*nn.Var
	opt   *AdamW
	state State
	// group is the data-parallel job (nil: one process); stopVote and
	// stopAgreed carry a SIGINT through the step's reduction, so every
	// rank stops at the same step.
	group                *dist.Group
	stopVote, stopAgreed bool
	// bf16 is cfg.BF16 resolved for the stage's device; bf16Why says why.
	bf16    bool
	bf16Why string

	// Progress receives the progress bar; nil disables it.
	Progress io.Writer
	// AfterStep, when set, runs after every completed optimizer step (tests).
	AfterStep func(step int)
}

// New prepares a loop over stage and data; call Resume before Run to
// continue a run.
func New[B any](cfg Config, stage Stage[B], d Data[B]) (*Loop[B], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var err error
	if cfg.Metric, err = metricKey(cfg.Metric, stage); err != nil {
		return nil, err
	}
	vars := stage.Store().Trainable()
	if len(vars) == 0 {
		return nil, errors.New("train: the model has no trainable parameters")
	}
	opt, err := NewAdamW(vars, cfg.Optimizer)
	if err != nil {
		return nil, err
	}
	cfg.Schedule.Total = cfg.TotalSteps(d.Batches())
	bf16, why := cfg.BF16.Resolve(stage.Store().Device())
	return &Loop[B]{
		cfg: cfg, stage: stage, data: d, vars: vars, opt: opt, bf16: bf16, bf16Why: why,
		state: State{Stage: stage.Name(), Seed: cfg.Seed, TotalSteps: cfg.Schedule.Total},
	}, nil
}

// State is the trainer's position; with the weights and optimizer moments
// it is everything an exact resume needs (HF trainer_state.json). No
// generator state is saved, for any rank: every step reseeds libtorch from
// (Seed, rank, step), and the data order depends only on (Seed, epoch,
// WorldSize).
type State struct {
	Stage      string      `json:"stage"`
	Step       int         `json:"global_step"`
	TotalSteps int         `json:"max_steps"`
	Cursor     data.Cursor `json:"cursor"`
	Seed       int64       `json:"seed"`
	// OptimizerStep is AdamW's update count, for its bias correction.
	OptimizerStep int64    `json:"optimizer_step"`
	Tokens        int64    `json:"num_input_tokens_seen"`
	Best          *float64 `json:"best_metric,omitempty"`
	BestStep      int      `json:"best_step,omitempty"`
	BadEvals      int      `json:"early_stopping_counter"`
	Stopped       string   `json:"stopped,omitempty"` // why the run ended early
	// WorldSize is the number of data-parallel processes (0 or 1: one); a
	// resume needs the same, since it fixes the global batch and the shards.
	WorldSize int `json:"world_size,omitempty"`
	// Threads is the libtorch CPU thread count the checkpoint was written
	// with (0: not recorded); see ThreadsNote.
	Threads int `json:"threads,omitempty"`
}

// Close frees the optimizer state (the stage owns the model).
func (l *Loop[B]) Close() { l.opt.Close() }

// BF16 reports whether forwards run under bf16 autocast, and why.
func (l *Loop[B]) BF16() (on bool, why string) { return l.bf16, l.bf16Why }

// State returns the loop's current state.
func (l *Loop[B]) State() State { return l.state }

// Run trains until the step budget, early stopping, a non-finite loss or
// ctx's cancellation, and returns the final state.
func (l *Loop[B]) Run(ctx context.Context) (State, error) {
	reports, err := ParseReportTo(l.cfg.ReportTo...)
	if err != nil {
		return l.state, err
	}
	if err := l.syncParams(); err != nil {
		return l.state, err
	}
	var metrics *MetricsWriter // rank 0's; nil elsewhere
	progress := l.Progress
	if l.group.Main() {
		if err := l.checkpoints().Clean(); err != nil {
			return l.state, err
		}
		if metrics, err = OpenMetrics(l.cfg.OutputDir, reports...); err != nil {
			return l.state, err
		}
		defer metrics.Close()
	} else {
		progress = nil
	}
	if progress != nil {
		fmt.Fprintln(progress, "bf16:", l.bf16Why)
	}
	bar := NewProgress(progress, l.state.TotalSteps, l.state.Step)
	defer bar.Exit()
	saved := -1
	for l.state.Step < l.state.TotalSteps && l.state.Stopped == "" {
		if l.stopping(ctx) {
			return l.state, l.interrupt()
		}
		rec, err := l.Step()
		if err != nil {
			return l.state, l.stepError(err)
		}
		if l.cfg.LogEvery > 0 && (l.state.Step%l.cfg.LogEvery == 0 || l.state.Step == 1) {
			if err := metrics.Write(rec); err != nil {
				return l.state, err
			}
		}
		bar.Step(fmt.Sprintf("loss %.4f lr %.2e %.0f tok/s", rec["loss"], rec["lr"], rec["tokens_per_s"]))
		last := l.state.Step == l.state.TotalSteps
		if l.cfg.EvalEvery > 0 && l.state.Step%l.cfg.EvalEvery == 0 || last {
			if err := l.evaluate(ctx, metrics, bar); err != nil {
				return l.state, err
			}
		}
		if l.cfg.SaveEvery > 0 && l.state.Step%l.cfg.SaveEvery == 0 {
			if _, err := l.save(); err != nil {
				return l.state, err
			}
			saved = l.state.Step
		}
		if l.AfterStep != nil {
			l.AfterStep(l.state.Step)
		}
	}
	if l.state.Stopped == "" {
		bar.Finish()
	}
	return l.state, l.finish(metrics, saved != l.state.Step)
}

// interrupt saves a checkpoint for --resume and returns ErrInterrupted.
func (l *Loop[B]) interrupt() error {
	dir, err := l.save()
	if err != nil {
		return fmt.Errorf("%w at step %d; saving a checkpoint failed: %v", ErrInterrupted, l.state.Step, err)
	}
	return fmt.Errorf("%w at step %d: checkpoint %s (continue with --resume %s)", ErrInterrupted, l.state.Step, dir, l.cfg.OutputDir)
}

// stopping reports whether to stop for ctx's cancellation (SIGINT). Under
// data parallelism the rank's vote travels with the next step's reduction
// and every rank stops after the step where any rank voted.
func (l *Loop[B]) stopping(ctx context.Context) bool {
	if l.group == nil {
		return ctx.Err() != nil
	}
	l.stopVote = ctx.Err() != nil
	return l.stopAgreed
}

// finish writes the last checkpoint (unless the last step saved one), the
// final model in the run directory (HF Trainer.save_model) and the plots:
// rank 0, once every rank is done.
func (l *Loop[B]) finish(metrics *MetricsWriter, checkpoint bool) error {
	return l.mainOnly(func() error {
		if checkpoint {
			if _, err := l.saveMain(); err != nil {
				return err
			}
		}
		if err := l.saveFinal(); err != nil {
			return fmt.Errorf("save final model: %w", err)
		}
		if err := metrics.Close(); err != nil {
			return err
		}
		if err := Plot(l.cfg.OutputDir); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		return nil
	})
}

// stepError explains a failed step; a non-finite loss names the checkpoint
// to go back to.
func (l *Loop[B]) stepError(err error) error {
	if !errors.Is(err, ErrNonFinite) {
		return fmt.Errorf("step %d: %w", l.state.Step+1, err)
	}
	last, lerr := LatestCheckpoint(l.cfg.OutputDir)
	if lerr != nil {
		last = "none (no checkpoint was saved yet)"
	}
	return fmt.Errorf("step %d: %w; training stopped, last good checkpoint: %s (try a lower learning rate or max_grad_norm)", l.state.Step+1, err, last)
}

// Step takes one optimizer step and returns its log record. Run calls it;
// benchmarks call it directly (no logging, evaluation or checkpoints).
func (l *Loop[B]) Step() (Record, error) {
	defer tensor.Pin()() // the thread rule (internal/tensor/thread.go)
	start := time.Now()
	// Reseed per step: dropout masks depend only on (seed, step), so a
	// resumed run draws exactly what an uninterrupted one does.
	tensor.Seed(tensor.StepSeed(l.rankSeed(), int64(l.state.Step)))
	lr := l.cfg.Optimizer.LR * l.cfg.Schedule.Factor(l.state.Step)
	if err := l.opt.ZeroGrad(); err != nil {
		return nil, err
	}
	t, err := l.accumulate()
	if err != nil {
		return nil, err
	}
	l.stopAgreed = t.stop > 0
	loss, tokens := 0.0, t.tokens
	if t.items > 0 {
		loss = t.loss / t.items
	}
	norm, err := GradNorm(l.vars)
	if err != nil {
		return nil, err
	}
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return nil, fmt.Errorf("%w: gradient norm is %v", ErrNonFinite, norm)
	}
	// clip_grad_norm_ inside the update (one pass over the gradients fewer)
	if err := l.opt.StepScaled(lr, tensor.ClipCoef(norm, l.cfg.MaxGradNorm)); err != nil {
		return nil, err
	}
	el := time.Since(start).Seconds()
	l.state.Tokens += int64(tokens)
	rec := Record{
		"step": float64(l.state.Step + 1), "loss": loss, "lr": lr, "grad_norm": norm,
		"tokens_per_s": tokens / el, "step_time_s": el,
		"epoch": float64(l.state.Cursor.Epoch) + float64(l.state.Cursor.Index)/float64(l.data.Batches()),
	}
	for k, v := range t.stats {
		rec["train/"+k] = v / max(t.items, 1)
	}
	if l.group != nil { // data parallel: the collectives' share of the step
		rec["allreduce_time_s"] = t.commTime.Seconds()
	}
	l.state.Step++
	return rec, nil
}

// accumulate runs Accum micro-batches forward and backward, each loss
// scaled by its item count n (1 unless the stage is an ItemCounter), then
// sums the gradients across ranks and divides them by the total count: the
// gradient of the mean over every item of the global batch (HF's gradient
// accumulation, DDP's averaging). It returns the step's totals, summed over
// ranks.
func (l *Loop[B]) accumulate() (stepTotals, error) {
	t := stepTotals{stats: map[string]float64{}}
	counter, counted := l.stage.(ItemCounter[B])
	for range l.cfg.Accum {
		b, next, err := l.data.Next(l.state.Cursor)
		if err != nil {
			return t, err
		}
		n := 1.0
		if counted {
			n = float64(counter.Items(b))
		}
		if n > 0 { // a batch with nothing to learn adds nothing
			v, st, err := l.backward(b, n)
			if err != nil {
				return t, err
			}
			t.items, t.loss = t.items+n, t.loss+v*n
			for k, x := range st {
				t.stats[k] += x * n
			}
		}
		l.state.Cursor = next
		t.tokens += float64(l.stage.Tokens(b))
	}
	if l.stopVote {
		t.stop = 1
	}
	began := time.Now()
	if err := l.reduce(&t); err != nil {
		return t, err
	}
	err := l.averageGrads(t.items)
	t.commTime = time.Since(began)
	return t, err
}

// backward computes one micro-batch's loss (under autocast with BF16) and
// back-propagates loss·scale; the forward's value is returned unscaled.
func (l *Loop[B]) backward(b B, scale float64) (value float64, stats map[string]float64, err error) {
	var loss *tensor.Tensor
	forward := func() { loss, stats, err = l.stage.Loss(b) }
	if l.bf16 {
		if aerr := tensor.Autocast(l.stage.Store().Device(), gotch.BFloat16, forward); aerr != nil {
			return 0, nil, aerr
		}
	} else {
		forward()
	}
	if err != nil {
		return 0, nil, err
	}
	defer tensor.Free(loss)
	if value, err = tensor.Item(loss); err != nil {
		return 0, nil, err
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return value, nil, fmt.Errorf("%w: loss is %v", ErrNonFinite, value)
	}
	err = tensor.Catch(func() {
		s := tensor.NewScope()
		defer s.Close()
		scaled := loss
		if scale != 1 {
			scaled = s.T(loss.MulScalar(s.Float(scale), false))
		}
		tensor.Check(scaled.Backward())
	})
	return value, stats, err
}

// evaluate runs the stage's evaluation, logs it and applies early stopping.
func (l *Loop[B]) evaluate(ctx context.Context, metrics *MetricsWriter, bar *Progress) error {
	ev, ok := l.stage.(Evaluator)
	if !ok {
		return nil
	}
	var res map[string]float64
	var err error
	if se, sharded := l.stage.(ShardedEvaluator); sharded && l.group != nil {
		// under data parallelism evaluation is not cut short by ctx (its
		// collectives need every rank): the stop vote travels with the
		// next step
		res, err = se.EvalShard(context.Background(), l.group)
	} else if l.group != nil {
		res, err = ev.Eval(context.Background())
	} else {
		res, err = ev.Eval(ctx)
	}
	if err != nil && ctx.Err() != nil && l.group == nil {
		// SIGINT during evaluation or sample generation saves as during
		// a step (the step is complete; its evaluation is not logged)
		return l.interrupt()
	}
	if err != nil {
		return fmt.Errorf("eval at step %d: %w", l.state.Step, err)
	}
	if len(res) == 0 { // no eval set
		return nil
	}
	rec := Record{"step": float64(l.state.Step)}
	keys := make([]string, 0, len(res))
	for k, v := range res {
		rec["eval/"+k] = v
		keys = append(keys, k)
	}
	if err := metrics.Write(rec); err != nil {
		return err
	}
	sort.Strings(keys)
	line := fmt.Sprintf("eval step %d:", l.state.Step)
	for _, k := range keys {
		line += fmt.Sprintf(" %s %.6g", k, res[k])
	}
	bar.Println(line)
	l.earlyStop(rec)
	return nil
}

// earlyStop tracks the best value of cfg.Metric (HF
// EarlyStoppingCallback: an improvement must beat the best by Threshold).
func (l *Loop[B]) earlyStop(rec Record) {
	v, ok := rec[l.cfg.Metric]
	if !ok {
		return
	}
	better := l.state.Best == nil
	if !better {
		d := v - *l.state.Best
		if !l.cfg.GreaterIsBetter {
			d = -d
		}
		better = d > l.cfg.Threshold
	}
	if better {
		l.state.Best, l.state.BestStep, l.state.BadEvals = &v, l.state.Step, 0
		return
	}
	l.state.BadEvals++
	if l.cfg.Patience > 0 && l.state.BadEvals >= l.cfg.Patience {
		l.state.Stopped = fmt.Sprintf("early stopping: %s did not improve on %.6g (step %d) for %d evaluations", l.cfg.Metric, *l.state.Best, l.state.BestStep, l.state.BadEvals)
	}
}

// metricKey turns metric_for_best_model into the loop's record key
// ("eval_loss" and "loss", HF's spellings, mean "eval/loss") and refuses a
// metric the stage does not report: a misspelt one would silently turn off
// best-model tracking and early stopping.
func metricKey[B any](m string, stage Stage[B]) (string, error) {
	if m == "" {
		return "", nil
	}
	name := strings.TrimPrefix(strings.TrimPrefix(m, "eval/"), "eval_")
	ev, ok := stage.(Evaluator)
	if !ok {
		return "", fmt.Errorf("metric_for_best_model %q: this stage does not evaluate", m)
	}
	keys := ev.EvalKeys()
	if !slices.Contains(keys, name) {
		return "", fmt.Errorf("metric_for_best_model %q: this stage reports eval_%s", m, strings.Join(keys, ", eval_"))
	}
	return "eval/" + name, nil
}

// saveFinal writes the run's final model into the output directory: the
// current one, or with load_best_model_at_end the best checkpoint's.
func (l *Loop[B]) saveFinal() error {
	if !l.cfg.BestAtEnd || l.state.Best == nil || l.state.BestStep == l.state.Step {
		return l.stage.Save(l.cfg.OutputDir)
	}
	best := filepath.Join(l.cfg.OutputDir, fmt.Sprintf("%s%d", checkpointPre, l.state.BestStep))
	for _, name := range []string{weights.ConfigFile, weights.SafetensorsFile} {
		if err := safetensors.CopyAtomic(filepath.Join(best, name), filepath.Join(l.cfg.OutputDir, name)); err != nil {
			return fmt.Errorf("load_best_model_at_end: %w", err)
		}
	}
	return nil
}
