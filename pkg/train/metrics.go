package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// MetricsFile is the run's log: one JSON object per line, a training record
// per logged step (step, loss, lr, grad_norm, tokens_per_s, train/*) and an
// evaluation record per eval (step, eval/*).
const MetricsFile = "metrics.jsonl"

// Record is one metrics line.
type Record map[string]float64

// Report names where metrics go (HF TrainingArguments.report_to).
type Report string

const (
	// ReportJSONL is the run's metrics.jsonl. It is always written, whatever
	// report_to says, as HF always keeps trainer_state.json's log_history:
	// plots, --resume and the tests read it.
	ReportJSONL Report = "jsonl"
	// ReportTensorBoard writes event files under RUN_DIR/runs (TensorBoardDir).
	ReportTensorBoard Report = "tensorboard"
)

// ParseReportTo reads report_to values, each one name or a comma-separated
// list (--report-to jsonl,tensorboard): jsonl, tensorboard, "all" (every
// sink) or "none" (metrics.jsonl only), as HF spells them. Repeats are dropped.
func ParseReportTo(values ...string) ([]Report, error) {
	var out []Report
	seen := map[Report]bool{}
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.TrimSpace(name)
			var rs []Report
			switch r := Report(strings.ToLower(name)); r {
			case "", "none":
			case "all":
				rs = []Report{ReportJSONL, ReportTensorBoard}
			case ReportJSONL, ReportTensorBoard:
				rs = []Report{r}
			default:
				return nil, fmt.Errorf("report_to: unknown sink %q (want jsonl, tensorboard, all or none)", name)
			}
			for _, r := range rs {
				if !seen[r] {
					seen[r] = true
					out = append(out, r)
				}
			}
		}
	}
	return out, nil
}

// Sink receives a run's metrics records: a step's training record or an
// evaluation's, keyed as in metrics.jsonl ("step" holds the step).
type Sink interface {
	Write(r Record) error
	Close() error
}

// TextSink is a Sink that also shows text, such as a table of samples.
type TextSink interface {
	Sink
	WriteText(step int, tag, text string) error
}

// MetricsWriter fans a run's metrics out to its sinks: metrics.jsonl always,
// and those OpenMetrics was given. The training loop and PPO both log
// through it.
type MetricsWriter struct{ sinks []Sink }

// OpenMetrics opens dir/metrics.jsonl for appending (a resumed run continues
// it) and the other sinks report names.
func OpenMetrics(dir string, report ...Report) (*MetricsWriter, error) {
	f, err := os.OpenFile(filepath.Join(dir, MetricsFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	m := &MetricsWriter{sinks: []Sink{jsonlSink{f}}}
	for _, r := range report {
		switch r {
		case ReportJSONL: // always there
		case ReportTensorBoard:
			w, err := NewEventWriter(filepath.Join(dir, TensorBoardDir))
			if err != nil {
				m.Close()
				return nil, err
			}
			m.sinks = append(m.sinks, &tensorBoardSink{w: w})
		default:
			m.Close()
			return nil, fmt.Errorf("metrics: unknown sink %q", r)
		}
	}
	return m, nil
}

// Write hands r to every sink; the first error stops. A nil writer (ranks
// other than 0) discards.
func (m *MetricsWriter) Write(r Record) error {
	if m == nil {
		return nil
	}
	for _, s := range m.sinks {
		if err := s.Write(r); err != nil {
			return err
		}
	}
	return nil
}

// WriteText hands text to the sinks that show text (TensorBoard's text
// tab); metrics.jsonl holds numbers only and skips it.
func (m *MetricsWriter) WriteText(step int, tag, text string) error {
	if m == nil {
		return nil
	}
	for _, s := range m.sinks {
		if ts, ok := s.(TextSink); ok {
			if err := ts.WriteText(step, tag, text); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close closes every sink and may be called twice.
func (m *MetricsWriter) Close() error {
	if m == nil {
		return nil
	}
	var first error
	for _, s := range m.sinks {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	m.sinks = nil
	return first
}

// jsonlSink appends records to metrics.jsonl.
type jsonlSink struct{ f *os.File }

// Write appends one record as a single write, so a killed run leaves whole lines.
func (s jsonlSink) Write(r Record) error {
	b, err := json.Marshal(r) // NaN cannot occur: the loop stops before logging one
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if _, err := s.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

func (s jsonlSink) Close() error { return s.f.Close() }

// ReadMetrics reads a run's metrics.jsonl; a torn last line (a killed run)
// is ignored, any other bad line is an error naming it.
func ReadMetrics(runDir string) ([]Record, error) {
	path := filepath.Join(runDir, MetricsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Record
	lines := bytes.Split(b, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			if i == len(lines)-1 { // no trailing newline: torn by a kill
				break
			}
			return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// truncateMetrics keeps the records up to step, dropping what a killed run
// logged after its last checkpoint, so a resumed run's log reads as if it
// had never stopped.
func TruncateMetrics(runDir string, step int) error {
	recs, err := ReadMetrics(runDir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return safetensors.WriteAtomic(filepath.Join(runDir, MetricsFile), func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for _, r := range recs {
			if r["step"] > float64(step) {
				continue
			}
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			bw.Write(append(b, '\n'))
		}
		return bw.Flush()
	})
}
