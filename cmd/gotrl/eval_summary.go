package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/metrics"
)

const evalSummaryLong = `ROUGE-1, ROUGE-2 and ROUGE-L (F1 of each prediction against its reference,
ROUGE-L on the longest common subsequence, then the mean over examples) and
corpus BLEU-4 (clipped 1–4-gram precisions, geometric mean, brevity penalty,
sacrebleu's default "exp" smoothing), all in percent.

Tokens, for every metric:
  - full-width ASCII (Ａ１％) is folded to ASCII first;
  - each CJK character is one token: the Han script plus the blocks BERT's
    tokenizer treats as Chinese (CJK Unified Ideographs, Extensions A–F,
    Compatibility Ideographs);
  - each run of letters, digits and combining marks of any other script is one
    token, lowercased: ASCII ("LSTM" = "lstm", "gpt2"), accented Latin, Greek,
    Cyrillic, Hangul and Kana words alike;
  - whitespace, punctuation and symbols are dropped.
So Chinese is scored by character and Latin text by word. sacrebleu's
tokenize="zh" gives the same tokens on Han-only text; it keeps punctuation
and case where this rule drops them.

An empty prediction is a valid, wrong answer (every score 0 for it); a
reference with no tokens is an error. --output lines: {"line", "prediction",
"reference", "rouge-1", "rouge-2", "rouge-l"} (BLEU is corpus-level only).`

func newEvalSummaryCmd() *cobra.Command {
	var f struct {
		Lead int `yaml:"lead" help:"score the first N characters of the \"source\" field as the prediction: the lead-N baseline (--fields source=content)"`
	}
	// With --lead the prediction is the source's first characters: the
	// lead-N baseline, scored by the same code as the model it is read against.
	read := func(r data.Record, name string) (string, error) {
		lead := f.Lead
		if name != "prediction" || lead == 0 {
			return textField(r, name)
		}
		s, err := r.String("source")
		if rs := []rune(s); len(rs) > lead {
			s = string(rs[:lead])
		}
		return s, err
	}
	cmd := evalSubcommand(&cobra.Command{
		Use:   "summary",
		Short: "ROUGE-1/2/L and corpus BLEU-4 of generated texts (character-level for Chinese)",
		Long:  evalSummaryLong,
		Example: "  gotrl eval summary --input pred.jsonl --field reference=title --output rouge.jsonl\n" +
			"  gotrl eval summary --input test.jsonl --fields source=content --fields reference=title --lead 20",
	}, read, scoreSummary)
	mustBind(cmd, &f)
	return cmd
}

// scoreSummary reports ROUGE and BLEU.
func scoreSummary(cmd *cobra.Command, e *evalFlags, exs []evalExample) error {
	var s metrics.Summary
	per := make([]any, len(exs))
	for i, ex := range exs {
		pred, ref := metrics.Tokens(ex.Prediction), metrics.Tokens(ex.Reference)
		if len(ref) == 0 {
			return e.fieldError(ex.RefPos, "reference", fmt.Errorf("no tokens to score against (%q is empty or punctuation only)", ex.Reference))
		}
		r := s.AddTokens(pred, ref)
		per[i] = map[string]any{"line": ex.Pos.Line, "prediction": ex.Prediction, "reference": ex.Reference,
			"rouge-1": 100 * r.R1, "rouge-2": 100 * r.R2, "rouge-l": 100 * r.L}
	}
	r, b := s.ROUGE(), s.BLEU()
	out := map[string]any{"examples": len(exs), "rouge-1": 100 * r.R1, "rouge-2": 100 * r.R2, "rouge-l": 100 * r.L,
		"bleu-4": b.Score, "bleu": map[string]any{"precisions": b.Precisions, "bp": b.BP,
			"sys_len": b.SysLen, "ref_len": b.RefLen, "counts": b.Correct, "totals": b.Total}}
	ratio := 0.0
	if b.RefLen > 0 {
		ratio = float64(b.SysLen) / float64(b.RefLen)
	}
	table := metrics.Table([][]string{
		{"examples", strconv.Itoa(len(exs))},
		{"rouge-1", pct(r.R1)},
		{"rouge-2", pct(r.R2)},
		{"rouge-l", pct(r.L)},
		{"bleu-4", fmt.Sprintf("%.2f", b.Score)},
	}) + fmt.Sprintf("(bleu-4: precisions %.1f/%.1f/%.1f/%.1f, brevity penalty %.3f, length ratio %.3f = %d/%d tokens)\n",
		b.Precisions[0], b.Precisions[1], b.Precisions[2], b.Precisions[3], b.BP, ratio, b.SysLen, b.RefLen)
	return e.report(cmd.OutOrStdout(), table, out, per)
}
