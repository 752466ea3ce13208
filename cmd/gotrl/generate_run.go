package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
	"github.com/gotrl/gotrl/pkg/train"
)

// generation runs encoded prompts through the loop, batch after batch.
type generation struct {
	s     generate.Stepper
	tk    tokenizer.Tokenizer
	c     generate.Config
	batch int
}

// sequence is one generated continuation: its text for people (special
// tokens dropped, CJK characters joined) and its ids.
type sequence struct {
	text string
	ids  []int64
}

// each generates for ids [prompt][token] and hands prompt i's
// num_return_sequences sequences to fn, in prompt order.
func (g generation) each(ctx context.Context, ids [][]int64, fn func(i int, seqs []sequence) error) error {
	r := g.c.NumReturnSequences
	for start := 0; start < len(ids); start += g.batch {
		part := ids[start:min(start+g.batch, len(ids))]
		out, err := generate.Generate(ctx, g.s, leftPadded(part, *g.c.PadTokenID), g.c)
		if err != nil {
			return fmt.Errorf("prompts %d–%d: %w", start+1, start+len(part), err)
		}
		for i := range part {
			seqs := make([]sequence, r)
			for k := range seqs {
				row := i*r + k // HF's repeat_interleave order
				for j, id := range out.Sequences[row][out.PrefixLen:] {
					if out.Mask[row][out.PrefixLen+j] == 1 {
						seqs[k].ids = append(seqs[k].ids, id)
					}
				}
				seqs[k].text = decodeText(g.tk, seqs[k].ids)
			}
			if err := fn(start+i, seqs); err != nil {
				return err
			}
		}
	}
	return nil
}

// print writes "prompt ⟶ text" lines to stdout as they come.
func (g generation) print(cmd *cobra.Command, recs []promptRecord, ids [][]int64) error {
	w := cmd.OutOrStdout()
	return g.each(cmd.Context(), ids, func(i int, seqs []sequence) error {
		for _, s := range seqs {
			if _, err := fmt.Fprintf(w, "%s ⟶ %s\n", recs[i].Text, s.text); err != nil {
				return err
			}
		}
		return nil
	})
}

// write generates every record, then writes the JSONL file atomically; a
// failure part way keeps the records already generated in path.partial.
func (g generation) write(cmd *cobra.Command, recs []promptRecord, ids [][]int64, path string) error {
	var buf bytes.Buffer
	done := 0
	progress := train.NewProgress(cmd.ErrOrStderr(), len(ids), 0)
	err := g.each(cmd.Context(), ids, func(i int, seqs []sequence) error {
		for _, s := range seqs {
			buf.Write(recs[i].jsonLine(s.text, s.ids))
		}
		done++
		progress.Step("prompts")
		return nil
	})
	fill := func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }
	if err != nil {
		progress.Exit()
		if done > 0 && safetensors.WriteAtomic(path+".partial", fill) == nil {
			return fmt.Errorf("%w (%d of %d prompts were done before it: their records are in %s.partial)", err, done, len(ids), path)
		}
		return err
	}
	progress.Finish()
	if err := safetensors.WriteAtomic(path, fill); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}

// decodeText is tokenizer.Text, except that an id the tokenizer lacks (a
// model may be larger than its tokenizer, padded to a multiple as HF
// allows) shows as the placeholder [id N] instead of vanishing from the
// text.
func decodeText(tk tokenizer.Tokenizer, ids []int64) string {
	n := int64(tk.VocabSize())
	var b strings.Builder
	from := 0
	for i, id := range ids {
		if id >= 0 && id < n {
			continue
		}
		b.WriteString(tokenizer.Text(tk, ids[from:i]))
		fmt.Fprintf(&b, "[id %d]", id)
		from = i + 1
	}
	b.WriteString(tokenizer.Text(tk, ids[from:]))
	return b.String()
}
