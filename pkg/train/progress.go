package train

import (
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"
)

// progress wraps the terminal bar: loss, learning rate and tokens/s in the
// description, rate and ETA from the bar itself.
type progress struct{ bar *progressbar.ProgressBar }

func newProgress(w io.Writer, total, done int) *progress {
	if w == nil {
		return &progress{}
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetItsString("step"),
		progressbar.OptionShowIts(),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(0),
	)
	_ = bar.Set(done)
	return &progress{bar: bar}
}

func (p *progress) update(r Record) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(fmt.Sprintf("loss %.4f lr %.2e %.0f tok/s", r["loss"], r["lr"], r["tokens_per_s"]))
	_ = p.bar.Add(1)
}

// finish completes the bar after a full run.
func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	_ = p.bar.Finish()
	p.bar = nil
}

// exit leaves the bar where it stopped (interrupt, error, early stop).
func (p *progress) exit() {
	if p.bar == nil {
		return
	}
	_ = p.bar.Exit()
	p.bar = nil
}
