package hub

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// byteProgress shows one file's download the way pkg/train.Progress shows
// a run (which counts steps, and would bring libtorch into this package):
// a live bar with rate and ETA on a terminal (tqdm's place in
// huggingface_hub), else a plain line at the start, every 30 s and at the end.
type byteProgress struct {
	bar        *progressbar.ProgressBar
	w          io.Writer // plain mode
	name       string
	total      int64
	done       int64
	start      time.Time
	last       time.Time
	startBytes int64
}

func newByteProgress(w io.Writer, name string, total, done int64) *byteProgress {
	p := &byteProgress{name: name, total: total, done: done, start: time.Now(), startBytes: done}
	p.last = p.start
	if w == nil {
		return p
	}
	if f, ok := w.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		p.w = w
		resumed := ""
		if done > 0 {
			resumed = fmt.Sprintf(", resuming at %s", size(done))
		}
		fmt.Fprintf(w, "download %s (%s%s)\n", name, size(total), resumed)
		return p
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	_ = p.bar.Set64(done)
	return p
}

// Write counts n received bytes (io.Writer, for io.MultiWriter).
func (p *byteProgress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.bar != nil {
		_ = p.bar.Add(len(b))
	} else if p.w != nil && time.Since(p.last) >= 30*time.Second {
		p.last = time.Now()
		fmt.Fprintf(p.w, "download %s: %s of %s\n", p.name, size(p.done), size(p.total))
	}
	return len(b), nil
}

// set moves back to n bytes (a restarted transfer).
func (p *byteProgress) set(n int64) {
	p.done, p.startBytes = n, n
	if p.bar != nil {
		_ = p.bar.Set64(n)
	}
}

func (p *byteProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	} else if p.w != nil {
		secs := time.Since(p.start).Seconds()
		fmt.Fprintf(p.w, "download %s: done, %s in %.1f s (%s/s)\n", p.name, size(p.total), secs, size(int64(float64(p.done-p.startBytes)/max(secs, 1e-3))))
	}
	p.bar, p.w = nil, nil
}

// exit leaves the display where it stopped (error, interrupt).
func (p *byteProgress) exit() {
	if p.bar != nil {
		_ = p.bar.Exit()
	}
	p.bar, p.w = nil, nil
}

// size prints bytes in SI units, as tqdm's unit_scale does.
func size(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, u := float64(n), 0
	for f >= unit && u < 4 {
		f /= unit
		u++
	}
	return fmt.Sprintf("%.1f %cB", f, "kMGT"[u-1])
}
