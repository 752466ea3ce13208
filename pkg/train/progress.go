package train

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress shows a run's advance: a live bar (rate and ETA from the bar,
// the caller's description beside it) on a terminal, and on anything else
// (a log file, CI) a plain line every tenth of the run or every 30 s, so
// logs stay readable. Every trainer (the loop, PPO) uses it.
type Progress struct {
	bar         *progressbar.ProgressBar
	term        io.Writer // the bar's writer
	w           io.Writer // plain mode
	total, done int
	start       time.Time
	last        time.Time
	lastDone    int
}

// NewProgress starts a display of total steps, done of which are behind
// (a resumed run). A nil writer shows nothing.
func NewProgress(w io.Writer, total, done int) *Progress {
	p := &Progress{total: total, done: done, start: time.Now()}
	p.last, p.lastDone = p.start, done
	if w == nil {
		return p
	}
	if f, ok := w.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		p.w = w
		return p
	}
	p.term = w
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetItsString("step"),
		progressbar.OptionShowIts(),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
	_ = p.bar.Set(done)
	return p
}

// Step records one finished step with its description (loss, lr, …).
func (p *Progress) Step(desc string) {
	p.done++
	if p.bar != nil {
		p.bar.Describe(desc)
		_ = p.bar.Add(1)
		return
	}
	if p.w == nil {
		return
	}
	every := max(1, p.total/10)
	now := time.Now()
	if p.done%every != 0 && p.done != p.total && now.Sub(p.last) < 30*time.Second {
		return
	}
	rate := float64(p.done-p.lastDone) / now.Sub(p.last).Seconds()
	eta := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
	fmt.Fprintf(p.w, "step %d/%d  %s  %.2f step/s  elapsed %s  eta %s\n", p.done, p.total, desc, rate,
		now.Sub(p.start).Round(time.Second), eta.Round(time.Second))
	p.last, p.lastDone = now, p.done
}

// Finish completes the display after a full run.
func (p *Progress) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
	p.w = nil
}

// Exit leaves the display where it stopped (interrupt, error, early stop).
func (p *Progress) Exit() {
	if p.bar != nil {
		_ = p.bar.Exit()
		p.bar = nil
	}
	p.w = nil
}

// Println writes a line of its own (an evaluation's metrics) without
// tearing the bar: on a terminal the bar is cleared first and redrawn on
// the next step.
func (p *Progress) Println(line string) {
	switch {
	case p.bar != nil:
		_ = p.bar.Clear()
		fmt.Fprintln(p.term, line)
	case p.w != nil:
		fmt.Fprintln(p.w, line)
	}
}
