package train

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// PlotDir is where Plot writes its PNGs inside a run directory.
const PlotDir = "plots"

// Plot draws one PNG per curve family of runDir/metrics.jsonl into
// runDir/plots: loss.png (training loss with eval/loss when present), lr.png,
// grad_norm.png, tokens_per_s.png and one file per other train/* or eval/*
// metric. It returns the files written.
func Plot(runDir string) error {
	_, err := PlotFiles(runDir)
	return err
}

// PlotFiles is Plot returning the paths it wrote.
func PlotFiles(runDir string) ([]string, error) {
	recs, err := ReadMetrics(runDir)
	if err != nil {
		return nil, err
	}
	series := map[string]plotter.XYs{}
	for _, r := range recs {
		for k, v := range r {
			if k != "step" && k != "epoch" && k != "step_time_s" {
				series[k] = append(series[k], plotter.XY{X: r["step"], Y: v})
			}
		}
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("plot %s: %s has no records", runDir, MetricsFile)
	}
	charts := map[string][]string{} // file → series keys
	for k := range series {
		name := strings.NewReplacer("eval/", "eval_", "train/", "train_", "/", "_").Replace(k)
		if k == "eval/loss" {
			name = "loss"
		}
		charts[name] = append(charts[name], k)
	}
	if err := os.MkdirAll(filepath.Join(runDir, PlotDir), 0o755); err != nil {
		return nil, err
	}
	var files []string
	for name, keys := range charts {
		sort.Strings(keys) // "eval/loss" before "loss"
		path := filepath.Join(runDir, PlotDir, name+".png")
		if err := drawChart(path, name, keys, series); err != nil {
			return nil, fmt.Errorf("plot %s: %w", path, err)
		}
		files = append(files, path)
	}
	sort.Strings(files)
	return files, nil
}

func drawChart(path, title string, keys []string, series map[string]plotter.XYs) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "step"
	var lines []any
	for _, k := range keys {
		lines = append(lines, k, series[k])
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return err
	}
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}

// PlotCompare draws one metric (e.g. "loss") of several runs on one chart,
// each run labelled by its directory name: how fp32 and bf16 runs of the
// same seed, or two learning rates, are compared.
func PlotCompare(out, metric string, runDirs []string) error {
	if len(runDirs) == 0 {
		return fmt.Errorf("plot compare: no runs")
	}
	series := map[string]plotter.XYs{}
	var keys []string
	for _, dir := range runDirs {
		recs, err := ReadMetrics(dir)
		if err != nil {
			return err
		}
		label := filepath.Base(filepath.Clean(dir))
		for _, r := range recs {
			if v, ok := r[metric]; ok {
				series[label] = append(series[label], plotter.XY{X: r["step"], Y: v})
			}
		}
		if len(series[label]) == 0 {
			return fmt.Errorf("plot compare: %s has no %q records", dir, metric)
		}
		keys = append(keys, label)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return drawChart(out, metric, keys, series)
}
