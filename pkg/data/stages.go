package data

// Readers for the generic stage formats, one JSON object per record with
// TRL's default field names (prompt, response/completion, chosen, rejected)
// plus the book's ranked lists (responses, best first). An optional "group"
// field keeps related examples on one side of a split. A file with the wrong
// schema for its stage fails on its first record, naming file:line and the
// missing field.

// ReadSFT reads {"prompt","response"} supervised fine-tuning pairs.
func ReadSFT(path string, opt Options) ([]Example, Stats, error) {
	return collect(path, opt, func(r Record) (Example, error) {
		f, err := requiredStrings(r, "prompt", "response")
		if err != nil {
			return Example{}, err
		}
		g, err := optionalString(r, "group")
		return Example{Group: g, Prompt: f[0], Response: f[1]}, err
	})
}

// ReadPreference reads {"prompt","chosen","rejected"} pairs for the reward
// model (TRL RewardTrainer / DPO layout).
func ReadPreference(path string, opt Options) ([]Pair, Stats, error) {
	return collect(path, opt, func(r Record) (Pair, error) {
		p, err := requiredStrings(r, "prompt")
		if err != nil {
			return Pair{}, err
		}
		// chosen and rejected may be empty: an empty answer is a legal (bad) response.
		c, err := r.String("chosen")
		if err != nil {
			return Pair{}, err
		}
		rej, err := r.String("rejected")
		if err != nil {
			return Pair{}, err
		}
		g, err := optionalString(r, "group")
		return Pair{Group: g, Prompt: p[0], Chosen: c, Rejected: rej}, err
	})
}

// ReadRanked reads {"prompt","responses":[best, ..., worst]} lists; a list
// needs at least two responses to give a pair.
func ReadRanked(path string, opt Options) ([]Ranked, Stats, error) {
	return collect(path, opt, func(r Record) (Ranked, error) {
		p, err := requiredStrings(r, "prompt")
		if err != nil {
			return Ranked{}, err
		}
		rs, err := r.Strings("responses")
		if err != nil {
			return Ranked{}, err
		}
		if len(rs) < 2 {
			return Ranked{}, r.errorf("responses", "%d responses, want at least 2", len(rs))
		}
		g, err := optionalString(r, "group")
		return Ranked{Group: g, Prompt: p[0], Responses: rs}, err
	})
}

// ReadPrompts reads {"prompt"} records for PPO rollouts; other fields are ignored.
func ReadPrompts(path string, opt Options) ([]Example, Stats, error) {
	return collect(path, opt, func(r Record) (Example, error) {
		p, err := requiredStrings(r, "prompt")
		if err != nil {
			return Example{}, err
		}
		g, err := optionalString(r, "group")
		return Example{Group: g, Prompt: p[0]}, err
	})
}
