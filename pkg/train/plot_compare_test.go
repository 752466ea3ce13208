package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotCompare(t *testing.T) {
	root := t.TempDir()
	for _, run := range []string{"fp32", "bf16"} {
		dir := filepath.Join(root, run)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		metrics := `{"step":1,"loss":2.0}` + "\n" + `{"step":2,"loss":1.5}` + "\n"
		if err := os.WriteFile(filepath.Join(dir, MetricsFile), []byte(metrics), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(root, "cmp", "loss.png")
	if err := PlotCompare(out, "loss", []string{filepath.Join(root, "fp32"), filepath.Join(root, "bf16")}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		t.Fatalf("no chart written: %v", err)
	}
	err := PlotCompare(out, "eval/loss", []string{filepath.Join(root, "fp32")})
	if err == nil || !strings.Contains(err.Error(), `no "eval/loss" records`) {
		t.Fatalf("missing metric: %v", err)
	}
}
