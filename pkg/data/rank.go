package data

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
)

// RankOptions configures the book's RewardRank list generator.
type RankOptions struct {
	// Seed drives every random choice; the same seed and input give the same lists.
	Seed uint64
	// Sample asks the SFT model for a question about a context; its answer
	// ranks second, below the gold question. Nil leaves that item out, so a
	// list has 6 items instead of 7.
	Sample func(context string) (string, error)
}

// RewardRank builds, for each (context → question) example, the book's
// ranked list of questions, best to worst:
//
//  1. the gold question
//  2. a question sampled from the SFT model (when Sample is set)
//  3. a question from another article
//  4. a random sentence of the context
//  5. the gold question truncated at a random point
//  6. the empty string
//  7. random characters of the context, as many as the gold question has
//
// The order encodes the book's assumption that each item is a worse question
// than the one before; Ranked.Pairs turns a list into training pairs. At least
// two groups are needed for item 3.
func RewardRank(exs []Example, opt RankOptions) ([]Ranked, error) {
	byGroup, groups := groupIndex(exs)
	if len(groups) < 2 {
		return nil, fmt.Errorf("reward rank: %d article(s), need at least 2 for the other-article question", len(groups))
	}
	rng := newRand(opt.Seed, streamRank)
	out := make([]Ranked, 0, len(exs))
	for i, ex := range exs {
		list := []string{ex.Response}
		if opt.Sample != nil {
			s, err := opt.Sample(ex.Prompt)
			if err != nil {
				return nil, fmt.Errorf("reward rank: example %d (group %q): sample: %w", i, ex.Group, err)
			}
			list = append(list, s)
		}
		list = append(list,
			otherQuestion(rng, exs, byGroup, groups, ex.Group),
			randomSentence(rng, ex.Prompt),
			truncate(rng, ex.Response),
			"",
			randomChars(rng, ex.Prompt, len([]rune(ex.Response))),
		)
		out = append(out, Ranked{Group: ex.Group, Prompt: ex.Prompt, Responses: list})
	}
	return out, nil
}

// CMRCRanked reads CMRC2018 through CMRCQuestions and builds RewardRank lists.
func CMRCRanked(path string, opt Options, rank RankOptions) ([]Ranked, Stats, error) {
	exs, st, err := CMRCQuestions(path, opt)
	if err != nil {
		return nil, st, err
	}
	ranked, err := RewardRank(exs, rank)
	if err != nil {
		return nil, st, fmt.Errorf("%s: %w", path, err)
	}
	return ranked, st, nil
}

// otherQuestion picks a response from a uniformly chosen group other than own.
func otherQuestion(rng *rand.Rand, exs []Example, byGroup map[string][]int, groups []string, own string) string {
	g := groups[rng.IntN(len(groups))]
	for g == own {
		g = groups[rng.IntN(len(groups))]
	}
	idx := byGroup[g]
	return exs[idx[rng.IntN(len(idx))]].Response
}

// randomSentence splits a context at Chinese and Latin sentence ends and
// picks one non-blank sentence.
func randomSentence(rng *rand.Rand, context string) string {
	var sents []string
	for s := range strings.FieldsFuncSeq(context, func(r rune) bool { return strings.ContainsRune("。！？；!?;\n", r) }) {
		if s = strings.TrimSpace(s); s != "" {
			sents = append(sents, s)
		}
	}
	if len(sents) == 0 {
		return context
	}
	return sents[rng.IntN(len(sents))]
}

// truncate keeps a random proper prefix of s (1 to n-1 runes).
func truncate(rng *rand.Rand, s string) string {
	rs := []rune(s)
	if len(rs) < 2 {
		return ""
	}
	return string(rs[:1+rng.IntN(len(rs)-1)])
}

// randomChars draws n runes of the context at random (skipping spaces), so the
// noise stays in the tokenizer's vocabulary.
func randomChars(rng *rand.Rand, context string, n int) string {
	pool := []rune(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, context))
	if len(pool) == 0 {
		return ""
	}
	out := make([]rune, n)
	for i := range out {
		out[i] = pool[rng.IntN(len(pool))]
	}
	return string(out)
}
