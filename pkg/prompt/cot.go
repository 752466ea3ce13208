package prompt

import (
	"fmt"
	"strings"
)

// Exemplar is one worked example of a few-shot chain-of-thought prompt.
type Exemplar struct {
	Question, Rationale, Answer string
}

// CoT builds chain-of-thought prompts: few-shot (Wei et al. 2022), with
// exemplars written as question, rationale and answer, or zero-shot
// (Kojima et al. 2022), the question followed by a trigger phrase.
type CoT struct {
	Exemplars      []Exemplar
	QuestionPrefix string // "Q: "
	AnswerPrefix   string // "A: "
	// Trigger follows AnswerPrefix in a zero-shot prompt (no exemplars).
	Trigger string
	// AnswerFormat writes an exemplar's answer after its rationale, joined
	// by Join: "The answer is %s.".
	AnswerFormat string
	Join         string
	Sep          string // between exemplars and before the question
	// AnswerTriggers are the phrases after which Answer looks first.
	AnswerTriggers []string
}

// English returns the prompt format of Wei et al. and Kojima et al.
func English(exemplars ...Exemplar) CoT {
	return CoT{
		Exemplars:      exemplars,
		QuestionPrefix: "Q: ",
		AnswerPrefix:   "A: ",
		Trigger:        "Let's think step by step.",
		AnswerFormat:   "The answer is %s.",
		Join:           " ",
		Sep:            "\n\n",
		AnswerTriggers: []string{"The answer is", "the answer is"},
	}
}

// Chinese returns the same format in Chinese.
func Chinese(exemplars ...Exemplar) CoT {
	return CoT{
		Exemplars:      exemplars,
		QuestionPrefix: "问题：",
		AnswerPrefix:   "答案：",
		Trigger:        "让我们一步一步地思考。",
		AnswerFormat:   "所以答案是%s。",
		Join:           "",
		Sep:            "\n\n",
		AnswerTriggers: []string{"答案是", "答案为"},
	}
}

// Prompt renders the exemplars and then the question. With exemplars the
// prompt ends with the answer prefix (trailing spaces trimmed, so a BPE
// tokenizer attaches the space to the first generated word); without, it
// ends with the zero-shot trigger.
func (c CoT) Prompt(question string) string {
	var b strings.Builder
	for _, e := range c.Exemplars {
		b.WriteString(c.QuestionPrefix + e.Question + "\n")
		b.WriteString(c.AnswerPrefix + e.Rationale + c.Join + fmt.Sprintf(c.AnswerFormat, e.Answer))
		b.WriteString(c.Sep)
	}
	b.WriteString(c.QuestionPrefix + question + "\n")
	if len(c.Exemplars) == 0 {
		b.WriteString(c.AnswerPrefix + c.Trigger)
	} else {
		b.WriteString(strings.TrimRight(c.AnswerPrefix, " "))
	}
	return b.String()
}

// Answer extracts the answer of one completion with ex, looking first
// after the answer triggers (see Extract).
func (c CoT) Answer(completion string, ex Extractor) (string, bool) {
	return Extract(completion, ex, c.AnswerTriggers...)
}
