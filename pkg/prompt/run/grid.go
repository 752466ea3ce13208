package run

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// NamedVerbalizer is a verbalizer with the name a report shows.
type NamedVerbalizer struct {
	Name string
	*prompt.Verbalizer
}

// Grid is an evaluation sweep: every template × verbalizer × number of
// demonstrations, plus an optional ensemble of all templates per
// verbalizer (zero demonstrations).
type Grid struct {
	Templates   []*prompt.Template
	Verbalizers []NamedVerbalizer
	Shots       []int            // demonstrations per query; 0 = none
	Pool        []prompt.Example // where demonstrations come from
	Seed        uint64           // demonstration draw
	MaxLen      int              // prompt length limit in tokens
	Strict      bool             // dropping a demonstration to fit MaxLen is an error
	Ensemble    prompt.Method    // "" for no ensemble row
	// Calibrate applies contextual calibration (Zhao et al. 2021) with the
	// label distribution of prompt.DefaultContentFree inputs.
	Calibrate bool
}

// Cell is one configuration's result.
type Cell struct {
	Template, Verbalizer string
	Shots                int
	*Result
}

// Run evaluates every configuration of g on exs, in template, verbalizer,
// shots order, then the ensembles.
func (g Grid) Run(ctx context.Context, r *Runner, tok tokenizer.Tokenizer, exs []prompt.Example) ([]Cell, error) {
	shots := g.Shots
	if len(shots) == 0 {
		shots = []int{0}
	}
	var cells []Cell
	prompts := make([][]*prompt.Prompt, len(g.Verbalizers))
	for _, t := range g.Templates {
		for vi, v := range g.Verbalizers {
			p, err := prompt.NewPrompt(t, v.Verbalizer, tok, g.MaxLen)
			if err != nil {
				return nil, err
			}
			if g.Calibrate {
				if err := p.EstimatePrior(ctx, r); err != nil {
					return nil, fmt.Errorf("template %s, verbalizer %s: calibrate: %w", t.Name, v.Name, err)
				}
			}
			prompts[vi] = append(prompts[vi], p)
			for _, k := range shots {
				d := prompt.Demos{Pool: g.Pool, K: k, Seed: g.Seed, Balanced: true, Strict: g.Strict}
				res, err := Evaluate(ctx, r, p, exs, d)
				if err != nil {
					return nil, fmt.Errorf("template %s, verbalizer %s, %d shots: %w", t.Name, v.Name, k, err)
				}
				cells = append(cells, Cell{Template: t.Name, Verbalizer: v.Name, Shots: k, Result: res})
			}
		}
	}
	if g.Ensemble == "" || len(g.Templates) < 2 {
		return cells, nil
	}
	for vi, v := range g.Verbalizers {
		res, err := EvaluateEnsemble(ctx, r, prompts[vi], exs, g.Ensemble)
		if err != nil {
			return nil, fmt.Errorf("ensemble, verbalizer %s: %w", v.Name, err)
		}
		cells = append(cells, Cell{Template: "ensemble:" + string(g.Ensemble), Verbalizer: v.Name, Result: res})
	}
	return cells, nil
}

// WriteTable prints the cells as an aligned text table.
func WriteTable(w io.Writer, cells []Cell) error {
	if _, err := fmt.Fprintf(w, "%-24s %-20s %5s %8s %8s %6s\n", "template", "verbalizer", "shots", "accuracy", "macro-F1", "n"); err != nil {
		return err
	}
	for _, c := range cells {
		if _, err := fmt.Fprintf(w, "%-24s %-20s %5d %8.4f %8.4f %6d\n", c.Template, c.Verbalizer, c.Shots, c.Accuracy, c.MacroF1, c.Confusion.Total()); err != nil {
			return err
		}
	}
	return nil
}

// WriteCSV writes one row per cell with the confusion matrix flattened
// (gold_pred counts).
func WriteCSV(w io.Writer, cells []Cell) error {
	cw := csv.NewWriter(w)
	header := []string{"template", "verbalizer", "shots", "accuracy", "macro_f1", "n"}
	if len(cells) > 0 {
		for _, g := range cells[0].Confusion.Labels {
			for _, p := range cells[0].Confusion.Labels {
				header = append(header, "gold_"+g+"_pred_"+p)
			}
		}
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, c := range cells {
		row := []string{c.Template, c.Verbalizer, strconv.Itoa(c.Shots),
			strconv.FormatFloat(c.Accuracy, 'f', 4, 64), strconv.FormatFloat(c.MacroF1, 'f', 4, 64), strconv.Itoa(c.Confusion.Total())}
		for _, counts := range c.Confusion.Counts {
			for _, n := range counts {
				row = append(row, strconv.Itoa(n))
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// BarChart draws accuracy and macro-F1 per cell as grouped bars into a
// PNG (or SVG/PDF, by path's extension). Bars are labelled with cell
// numbers (#1, #2, ... in table order) because the plot's font has no CJK
// glyphs for Chinese verbalizers.
func BarChart(path, title string, cells []Cell) error {
	if len(cells) == 0 {
		return fmt.Errorf("bar chart %s: no results", path)
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "score"
	p.Y.Min, p.Y.Max = 0, 1.15 // room for the legend
	acc, f1 := make(plotter.Values, len(cells)), make(plotter.Values, len(cells))
	names := make([]string, len(cells))
	for i, c := range cells {
		acc[i], f1[i] = c.Accuracy, c.MacroF1
		names[i] = fmt.Sprintf("#%d %s/%dshot", i+1, asciiOr(c.Template, i), c.Shots)
	}
	w := vg.Points(12)
	for i, series := range []struct {
		name string
		v    plotter.Values
	}{{"accuracy", acc}, {"macro-F1", f1}} {
		bars, err := plotter.NewBarChart(series.v, w)
		if err != nil {
			return fmt.Errorf("bar chart %s: %w", path, err)
		}
		bars.Offset = vg.Length(2*i-1) * w / 2
		bars.Color = plotutil.Color(i)
		p.Add(bars)
		p.Legend.Add(series.name, bars)
	}
	p.Legend.Top = true
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.6
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = text.XRight, text.YCenter
	width := vg.Length(max(6, len(cells))) * vg.Inch * 0.9
	return p.Save(width, 5*vg.Inch, path)
}

// asciiOr returns s if it is printable ASCII, else "cell<i+1>".
func asciiOr(s string, i int) string {
	for _, r := range s {
		if r > 126 || r < 32 {
			return "cell" + strconv.Itoa(i+1)
		}
	}
	return strings.TrimPrefix(s, "ensemble:")
}
