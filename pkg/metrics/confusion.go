package metrics

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/width"
)

// Confusion is a confusion matrix over named labels: Counts[g][p] is the
// number of examples of gold label g predicted as label p (rows gold,
// columns predicted, as sklearn.metrics.confusion_matrix).
type Confusion struct {
	Labels []string
	Counts [][]int
	index  map[string]int
}

// NewConfusion counts gold/pred pairs. Every label must be in labels.
func NewConfusion(labels []string, gold, pred []string) (*Confusion, error) {
	if len(labels) == 0 {
		return nil, fmt.Errorf("metrics: no labels")
	}
	if len(gold) != len(pred) {
		return nil, fmt.Errorf("metrics: %d gold labels, %d predictions", len(gold), len(pred))
	}
	c := &Confusion{Labels: labels, Counts: make([][]int, len(labels)), index: map[string]int{}}
	for i, l := range labels {
		if _, dup := c.index[l]; dup {
			return nil, fmt.Errorf("metrics: duplicate label %q", l)
		}
		c.index[l] = i
		c.Counts[i] = make([]int, len(labels))
	}
	for i := range gold {
		if err := c.Add(gold[i], pred[i]); err != nil {
			return nil, fmt.Errorf("example %d: %w", i, err)
		}
	}
	return c, nil
}

// Add counts one example.
func (c *Confusion) Add(gold, pred string) error {
	g, ok := c.index[gold]
	if !ok {
		return fmt.Errorf("metrics: unknown gold label %q (labels %v)", gold, c.Labels)
	}
	p, ok := c.index[pred]
	if !ok {
		return fmt.Errorf("metrics: unknown predicted label %q (labels %v)", pred, c.Labels)
	}
	c.Counts[g][p]++
	return nil
}

// Total is the number of examples counted.
func (c *Confusion) Total() int {
	n := 0
	for _, row := range c.Counts {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// Accuracy is the diagonal over the total (0 when empty).
func (c *Confusion) Accuracy() float64 {
	right := 0
	for i := range c.Counts {
		right += c.Counts[i][i]
	}
	return ratio(right, c.Total())
}

// String renders the matrix as an aligned text table, gold labels down,
// predicted labels across. Widths count East Asian wide characters as two
// columns, so Chinese labels line up in a terminal.
func (c *Confusion) String() string {
	rows := [][]string{append([]string{`gold\pred`}, c.Labels...)}
	for i, l := range c.Labels {
		row := []string{l}
		for _, v := range c.Counts[i] {
			row = append(row, strconv.Itoa(v))
		}
		rows = append(rows, row)
	}
	return Table(rows)
}

// Table aligns rows of cells as text: the first column left, the others
// right, two spaces apart, East Asian wide characters counted as two
// columns. Every row must have as many cells as the first.
func Table(rows [][]string) string {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for j, cell := range r {
			widths[j] = max(widths[j], displayWidth(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for j, cell := range r {
			pad := strings.Repeat(" ", widths[j]-displayWidth(cell))
			switch {
			case j == 0:
				b.WriteString(cell + pad)
			default:
				b.WriteString("  " + pad + cell)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}
