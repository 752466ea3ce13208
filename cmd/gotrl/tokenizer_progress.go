package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/gotrl/gotrl/pkg/train"
)

// trainProgress shows tokenizer training: a byte bar while the input is
// read and split (on a terminal; elsewhere one line when done), then
// train.Progress over the merges, one step per merge.
type trainProgress struct {
	w        io.Writer
	terminal bool
	bar      *progressbar.ProgressBar // reading, on a terminal
	bytes    int64
	start    time.Time
	merges   *train.Progress
}

func newTrainProgress(w io.Writer) *trainProgress {
	f, ok := w.(*os.File)
	return &trainProgress{w: w, terminal: ok && term.IsTerminal(int(f.Fd())), start: time.Now()}
}

// reading starts the byte bar over total bytes of input.
func (p *trainProgress) reading(total int64) {
	if p.terminal {
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(p.w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("reading"), progressbar.OptionThrottle(100*time.Millisecond))
	}
}

// read counts n bytes of text fed to the trainer.
func (p *trainProgress) read(n int) {
	p.bytes += int64(n)
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

// merged is the trainers' Progress callback; the first call ends reading.
func (p *trainProgress) merged(vocab, target int) {
	if p.merges == nil {
		p.endReading()
		p.merges = train.NewProgress(p.w, target, vocab-1)
	}
	p.merges.Step(fmt.Sprintf("vocab %d", vocab))
}

func (p *trainProgress) endReading() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
	fmt.Fprintf(p.w, "read %.1f MB of text in %s\n", float64(p.bytes)/1e6, time.Since(p.start).Round(time.Millisecond))
}

// finish closes whatever is showing; training may stop short of the target
// size (no pair frequent enough), which is not an error.
func (p *trainProgress) finish(err error) {
	switch {
	case p.merges == nil && err != nil:
		if p.bar != nil {
			_ = p.bar.Exit()
		}
	case p.merges == nil:
		p.endReading()
	case err != nil:
		p.merges.Exit()
	default:
		p.merges.Finish()
	}
}
