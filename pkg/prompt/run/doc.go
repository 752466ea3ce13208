// Package run is the model side of prompt learning: runners that score
// label words with real models (they implement prompt.Scorer), P-tuning's
// soft tokens, PET few-shot training and evaluation.
//
// Three families are supported, one scoring rule each:
//
//   - MLM cloze scoring (BERT, PET and the book's 满意 prompt): the encoder
//     reads the rendered ids; the MLM head's log-softmax at the slot's
//     [MASK] positions is gathered at the label words' token ids. A word of
//     n tokens uses positions 0..n-1 of a {mask:N} slot; a single-mask slot
//     scores every token of the word at its one mask (OpenPrompt's
//     ManualVerbalizer on multi-token words).
//   - Decoder log-likelihood (GPT-2): each label word is appended to the
//     prompt and its tokens are scored under teacher forcing, token j by
//     the logits at position len(prompt)+j-1.
//   - Encoder-decoder log-likelihood (T5): the prompt (plus </s>) goes to
//     the encoder once per example, each label word is the decoder target
//     behind decoder_start_token_id.
//
// Every family reduces to one shape: a batch of B rendered prompts and K
// label-word tokens per prompt give a [B, K] tensor of token log-probs,
// gathered from the model's hidden states at the "picks" of picks.go. The
// same tensor serves inference (under tensor.NoGrad, copied to Go as
// prompt.TokenScores) and PET training (label scores in the graph,
// cross-entropy over labels).
//
// Everything a forward makes is freed by tensor scopes; tests check
// tensor.Live before and after.
package run
