package data

// The example types the trainers consume. Each carries a Group key: examples
// sharing a non-empty key stay on one side of a split (all questions of one
// CMRC article, for instance); an empty key makes the example its own group.

// Example is a prompt with its target response: an SFT pair, or a prompt
// alone (empty Response) for PPO rollouts.
type Example struct {
	Group    string `json:"group,omitempty"`
	Prompt   string `json:"prompt"`
	Response string `json:"response,omitempty"`
}

// Labeled is a text with a class id, for classification.
type Labeled struct {
	Group string `json:"group,omitempty"`
	Text  string `json:"text"`
	Label int    `json:"label"`
	Pos   Pos    `json:"-"` // where it was read, for errors found later
}

// Pair is a preference pair for reward modelling: Chosen beats Rejected.
type Pair struct {
	Group    string `json:"group,omitempty"`
	Prompt   string `json:"prompt"`
	Chosen   string `json:"chosen"`
	Rejected string `json:"rejected"`
}

// Ranked is a prompt with responses ordered best to worst, the book's
// RewardRank format.
type Ranked struct {
	Group     string   `json:"group,omitempty"`
	Prompt    string   `json:"prompt"`
	Responses []string `json:"responses"`
}

// Pairs expands a ranked list into every ordered pair, n*(n-1)/2 of them for
// n responses, with the better response as Chosen. This is how the book's
// reward model (and InstructGPT) trains on a ranking: each pair is one term
// of the pairwise loss.
func (r Ranked) Pairs() []Pair {
	n := len(r.Responses)
	out := make([]Pair, 0, n*(n-1)/2)
	for i := range n {
		for j := i + 1; j < n; j++ {
			out = append(out, Pair{Group: r.Group, Prompt: r.Prompt, Chosen: r.Responses[i], Rejected: r.Responses[j]})
		}
	}
	return out
}

func (e Example) GroupKey() string { return e.Group }
func (l Labeled) GroupKey() string { return l.Group }
func (p Pair) GroupKey() string    { return p.Group }
func (r Ranked) GroupKey() string  { return r.Group }
