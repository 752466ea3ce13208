package data

// Readers for the generic stage formats, one object per record with TRL's
// field names (Formats lists them) plus the book's ranked lists (responses,
// best first). An optional "group" field keeps related examples on one side
// of a split. A record that fits none of its stage's field sets fails,
// naming file:line, the accepted sets and the fields it has.

// ReadSFT reads supervised fine-tuning examples. Each record is decided by
// the fields it has, tried in this order (TRL SFTTrainer's formats):
//
//	messages            a conversation; the prompt is every turn before the
//	                    last (rendered with the generation prompt), the
//	                    completion that last, assistant, turn
//	prompt, completion  TRL prompt-completion: strings, or lists of turns
//	prompt, response    the same with gotrl's earlier field name
//	text                TRL language modeling: the whole text is learned
//	                    (an Example with an empty Prompt)
//
// Turns are rendered with opt.Chat (see ChatTemplate.Split).
func ReadSFT(path string, opt Options) ([]Example, Stats, error) {
	return collect(path, opt, func(r Record) (Example, error) {
		x, err := sftExample(r, opt)
		if err != nil {
			return Example{}, err
		}
		x.Group, err = optionalString(r, "group")
		return x, err
	})
}

// sftExample builds one SFT example from whichever field set r has.
func sftExample(r Record, opt Options) (Example, error) {
	switch {
	case present(r, "messages"):
		msgs, err := messages(r, "messages")
		if err != nil {
			return Example{}, err
		}
		p, c, err := lastTurn(r, "messages", msgs)
		if err != nil {
			return Example{}, err
		}
		return renderExample(r, "messages", opt, p, c)
	case present(r, "prompt") && present(r, "completion"):
		if isConversation(r, "prompt") || isConversation(r, "completion") {
			p, err := messages(r, "prompt")
			if err != nil {
				return Example{}, err
			}
			c, err := messages(r, "completion")
			if err != nil {
				return Example{}, err
			}
			return renderExample(r, "completion", opt, p, c)
		}
		f, err := requiredStrings(r, "prompt", "completion")
		if err != nil {
			return Example{}, err
		}
		return Example{Prompt: f[0], Response: f[1]}, nil
	case present(r, "prompt") && present(r, "response"):
		f, err := requiredStrings(r, "prompt", "response")
		if err != nil {
			return Example{}, err
		}
		return Example{Prompt: f[0], Response: f[1]}, nil
	case present(r, "text"):
		f, err := requiredStrings(r, "text")
		if err != nil {
			return Example{}, err
		}
		return Example{Response: f[0]}, nil
	}
	return Example{}, noFieldSet(r, StageSFT)
}

// renderExample renders prompt and completion turns into an Example.
func renderExample(r Record, field string, opt Options, p, c []Message) (Example, error) {
	prompt, completion, err := render(r, field, opt, p, c)
	return Example{Prompt: prompt, Response: completion}, err
}

// ReadPreference reads preference pairs for the reward model (TRL
// RewardTrainer / DPO layouts): {"prompt","chosen","rejected"} with strings
// or lists of turns, or TRL's implicit prompt, {"chosen","rejected"} alone,
// whose shared beginning is the prompt (maybe_extract_prompt; see
// sharedTurns and sharedText). A string prompt beside chosen/rejected turns
// is ignored and the prompt extracted, as TRL does. chosen and rejected may
// be empty strings: an empty answer is a legal (bad) response.
func ReadPreference(path string, opt Options) ([]Pair, Stats, error) {
	return collect(path, opt, func(r Record) (Pair, error) {
		p, err := preferencePair(r, opt)
		if err != nil {
			return Pair{}, err
		}
		p.Group, err = optionalString(r, "group")
		return p, err
	})
}

// preferencePair builds one pair from whichever field set r has.
func preferencePair(r Record, opt Options) (Pair, error) {
	if !present(r, "chosen") || !present(r, "rejected") {
		return Pair{}, noFieldSet(r, StagePreference)
	}
	if conv := isConversation(r, "chosen"); conv != isConversation(r, "rejected") {
		return Pair{}, r.errorf("rejected", "chosen and rejected must both be strings or both lists of messages")
	} else if conv {
		return conversationPair(r, opt)
	}
	c, err := r.String("chosen")
	if err != nil {
		return Pair{}, err
	}
	rej, err := r.String("rejected")
	if err != nil {
		return Pair{}, err
	}
	if !present(r, "prompt") { // implicit prompt
		k := sharedText(c, rej)
		return Pair{Prompt: c[:k], Chosen: c[k:], Rejected: rej[k:]}, nil
	}
	p, err := requiredStrings(r, "prompt")
	if err != nil {
		return Pair{}, err
	}
	return Pair{Prompt: p[0], Chosen: c, Rejected: rej}, nil
}

// conversationPair renders a pair whose chosen and rejected are turns.
func conversationPair(r Record, opt Options) (Pair, error) {
	c, err := messages(r, "chosen")
	if err != nil {
		return Pair{}, err
	}
	rej, err := messages(r, "rejected")
	if err != nil {
		return Pair{}, err
	}
	var p []Message
	if present(r, "prompt") && isConversation(r, "prompt") {
		if p, err = messages(r, "prompt"); err != nil {
			return Pair{}, err
		}
	} else {
		k := sharedTurns(c, rej)
		p, c, rej = c[:k], c[k:], rej[k:]
	}
	prompt, chosen, err := render(r, "chosen", opt, p, c)
	if err != nil {
		return Pair{}, err
	}
	_, rejected, err := render(r, "rejected", opt, p, rej)
	return Pair{Prompt: prompt, Chosen: chosen, Rejected: rejected}, err
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

// ReadPrompts reads {"prompt"} records for PPO rollouts, the prompt a string
// or a list of turns (rendered with the generation prompt); other fields
// are ignored.
func ReadPrompts(path string, opt Options) ([]Example, Stats, error) {
	return collect(path, opt, func(r Record) (Example, error) {
		var p string
		if isConversation(r, "prompt") {
			msgs, err := messages(r, "prompt")
			if err != nil {
				return Example{}, err
			}
			chat, err := opt.chat()
			if err != nil {
				return Example{}, err
			}
			if p, err = chat.Render(msgs, true); err != nil {
				return Example{}, r.errorf("prompt", "%w", err)
			}
		} else {
			f, err := requiredStrings(r, "prompt")
			if err != nil {
				return Example{}, err
			}
			p = f[0]
		}
		g, err := optionalString(r, "group")
		return Example{Group: g, Prompt: p}, err
	})
}
