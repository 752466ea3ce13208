package train

import (
	"slices"
	"strings"
)

// tensorBoardSink writes metrics records as TensorBoard scalars.
type tensorBoardSink struct {
	w       *EventWriter
	started bool
}

// Write writes every value of r but "step" as a scalar at r["step"], tags
// in sorted order. Keys without a slash are the loop's training values
// (loss, lr, grad_norm, ...) and get HF's "train/" prefix
// (TensorBoardCallback's rewrite_logs), so they sit beside train/accuracy;
// eval/*, PPO's objective/* and the like keep their names.
func (s *tensorBoardSink) Write(r Record) error {
	step := int64(r["step"])
	if err := s.start(step); err != nil {
		return err
	}
	keys := make([]string, 0, len(r))
	for k := range r {
		if k != "step" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := s.w.Scalar(step, scalarTag(k), r[k]); err != nil {
			return err
		}
	}
	return nil
}

// WriteText writes text under tag (shown as tag/text_summary).
func (s *tensorBoardSink) WriteText(step int, tag, text string) error {
	if err := s.start(int64(step)); err != nil {
		return err
	}
	return s.w.Text(int64(step), tag, text)
}

func (s *tensorBoardSink) Close() error { return s.w.Close() }

// start marks where this process's events begin, once, at the first step it
// logs: a run resumed from a checkpoint at step 40 starts at 41, and
// TensorBoard then hides what an earlier process logged from step 41 on.
func (s *tensorBoardSink) start(step int64) error {
	if s.started {
		return nil
	}
	s.started = true
	return s.w.Start(step)
}

// scalarTag maps a metrics.jsonl key to its TensorBoard tag.
func scalarTag(key string) string {
	if strings.Contains(key, "/") {
		return key
	}
	return "train/" + key
}

// MarkdownTable renders rows under header as a Markdown table, which
// TensorBoard's text tab shows as a table (PPO's query / response / reward
// samples, SFT's completions). Pipes and newlines in cells are escaped so a
// cell cannot break the table.
func MarkdownTable(header []string, rows [][]string) string {
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			c = strings.ReplaceAll(c, "|", `\|`)
			c = strings.ReplaceAll(strings.ReplaceAll(c, "\r\n", "<br>"), "\n", "<br>")
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
	return b.String()
}
