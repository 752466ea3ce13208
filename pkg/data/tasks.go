package data

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Builders for the book's data sets. Each documents the field names it asks
// for; Options.Fields maps them onto other files.

// Summarization reads {"content","title"} pairs (CSL): the abstract is the
// prompt and the paper title the response (the book's GPT-2 title generator).
func Summarization(path string, opt Options) ([]Example, Stats, error) {
	return collect(path, opt, func(r Record) (Example, error) {
		f, err := requiredStrings(r, "content", "title")
		if err != nil {
			return Example{}, err
		}
		return Example{Prompt: f[0], Response: f[1]}, nil
	})
}

// Triple is one relation of a fault report: head entity, relation, tail
// entity, with the entities' [start,end) rune offsets in the text.
type Triple struct {
	Head, Relation, Tail string
	HeadPos, TailPos     [2]int
}

// String renders the generative-extraction target line h_relation_t.
func (t Triple) String() string { return t.Head + "_" + t.Relation + "_" + t.Tail }

// FormatTriples renders triples one per line, in order, joined by "\n": the
// answer format of fault-ie/answer_format_sample.jsonl.
func FormatTriples(ts []Triple) string {
	lines := make([]string, len(ts))
	for i, t := range ts {
		lines[i] = t.String()
	}
	return strings.Join(lines, "\n")
}

// FaultIE reads fault reports {"ID","text","spo_list":[{"h":{"name","pos"},
// "t":{"name","pos"},"relation"}]} for generative information extraction:
// the text is the prompt, FormatTriples(spo_list) the response, the ID the
// group. Every entity's pos must select its name from the text, counted in
// runes, so a shifted or byte-based offset is caught here. A report with an
// empty spo_list yields an empty response (the model should answer nothing).
func FaultIE(path string, opt Options) ([]Example, Stats, error) {
	return collect(path, opt, func(r Record) (Example, error) {
		f, err := requiredStrings(r, "ID", "text")
		if err != nil {
			return Example{}, err
		}
		ts, err := triples(r, []rune(f[1]))
		if err != nil {
			return Example{}, err
		}
		return Example{Group: f[0], Prompt: f[1], Response: FormatTriples(ts)}, nil
	})
}

// triples decodes and checks the spo_list of one record.
func triples(r Record, text []rune) ([]Triple, error) {
	v, err := r.Value("spo_list")
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, r.errorf("spo_list", "got %s, want an array", jsonType(v))
	}
	out := make([]Triple, len(list))
	for i, item := range list {
		spo, err := r.sub(fmt.Sprintf("spo_list[%d]", i), item)
		if err != nil {
			return nil, err
		}
		t := &out[i]
		if t.Relation, err = spo.String("relation"); err != nil {
			return nil, err
		}
		if t.Head, t.HeadPos, err = entity(spo, "h", text); err != nil {
			return nil, err
		}
		if t.Tail, t.TailPos, err = entity(spo, "t", text); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// entity reads {"name","pos":[start,end)} and checks text[start:end] == name.
func entity(spo Record, key string, text []rune) (string, [2]int, error) {
	var pos [2]int
	v, err := spo.Value(key)
	if err != nil {
		return "", pos, err
	}
	e, err := spo.sub(key, v)
	if err != nil {
		return "", pos, err
	}
	name, err := e.String("name")
	if err != nil {
		return "", pos, err
	}
	p, err := e.Value("pos")
	if err != nil {
		return "", pos, err
	}
	list, ok := p.([]any)
	if !ok || len(list) != 2 {
		return "", pos, e.errorf("pos", "got %v, want [start, end]", p)
	}
	for k, x := range list {
		f, ok := x.(float64)
		if !ok || f != math.Trunc(f) {
			return "", pos, e.errorf("pos", "got %v, want [start, end] integers", p)
		}
		pos[k] = int(f)
	}
	if pos[0] < 0 || pos[0] > pos[1] || pos[1] > len(text) {
		return "", pos, e.errorf("pos", "%v out of the text's %d characters", pos, len(text))
	}
	if got := string(text[pos[0]:pos[1]]); got != name {
		return "", pos, e.errorf("pos", "%v selects %q, want name %q", pos, got, name)
	}
	return name, pos, nil
}

// CMRCQuestions reads the SQuAD layout (CMRC2018) for document → question
// generation: one example per question, the paragraph context as prompt, the
// question as response, grouped by article so a split never puts one
// article's questions on both sides. Any format with context and question
// fields works too (article_id optional).
func CMRCQuestions(path string, opt Options) ([]Example, Stats, error) {
	return collect(path, opt, func(r Record) (Example, error) {
		f, err := requiredStrings(r, "context", "question")
		if err != nil {
			return Example{}, err
		}
		group, err := optionalString(r, "article_id")
		if err != nil {
			return Example{}, err
		}
		if group == "" {
			group = f[0] // no article id: the context itself keeps its questions together
		}
		return Example{Group: group, Prompt: f[0], Response: f[1]}, nil
	})
}

// Classification reads labeled texts {"text","label"} (HF's
// text-classification fields; ChnSentiCorp's CSV calls the text "review"). Labels are non-negative integers; a review that is empty or
// only spaces is a bad record, so SkipBad can drop it.
func Classification(path string, opt Options) ([]Labeled, Stats, error) {
	return collect(path, opt, func(r Record) (Labeled, error) {
		label, err := r.Int("label")
		if err != nil {
			return Labeled{}, err
		}
		if label < 0 {
			return Labeled{}, r.errorf("label", "%d is negative", label)
		}
		field := "text" // HF's text-classification field; ChnSentiCorp calls it review
		if !r.Has("text") && r.Has("review") {
			field = "review"
		}
		f, err := requiredStrings(r, field)
		if err != nil {
			return Labeled{}, err
		}
		g, err := optionalString(r, "group")
		return Labeled{Group: g, Text: f[0], Label: label, Pos: r.Pos}, err
	})
}

// requiredStrings reads string fields that must be present and not blank.
func requiredStrings(r Record, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		s, err := r.String(n)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(s) == "" {
			return nil, r.errorf(n, "%w", errEmpty)
		}
		out[i] = s
	}
	return out, nil
}

var errEmpty = errors.New("empty")
