package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// MetricsFile is the run's log: one JSON object per line, a training record
// per logged step (step, loss, lr, grad_norm, tokens_per_s, train/*) and an
// evaluation record per eval (step, eval/*).
const MetricsFile = "metrics.jsonl"

// Record is one metrics line.
type Record map[string]float64

// MetricsWriter appends records to a run directory's metrics.jsonl; the
// training loop and PPO both log through it.
type MetricsWriter struct{ f *os.File }

// OpenMetrics opens dir/metrics.jsonl for appending (a resumed run continues it).
func OpenMetrics(dir string) (*MetricsWriter, error) {
	f, err := os.OpenFile(filepath.Join(dir, MetricsFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &MetricsWriter{f: f}, nil
}

// Write appends one record as a single write, so a killed run leaves whole
// lines. A nil writer (ranks other than 0) discards.
func (m *MetricsWriter) Write(r Record) error {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(r) // NaN cannot occur: the loop stops before logging one
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if _, err := m.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// Close may be called twice.
func (m *MetricsWriter) Close() error {
	if m == nil || m.f == nil {
		return nil
	}
	err := m.f.Close()
	m.f = nil
	return err
}

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
