// Package prompt is the model-free side of prompt learning (the book's
// prompt chapter; OpenPrompt and PET in Python): a template language and
// its renderer, verbalizers, contextual calibration, multi-prompt methods
// (ensembling, augmentation with demonstrations, composition,
// decomposition) and chain-of-thought prompting with answer extraction and
// self-consistency.
//
// It is pure Go. Models enter through three small interfaces that runners
// on the model side implement: Scorer (label-word token scores at a mask
// slot: MLM cloze scoring or decoder log-likelihood), Sampler (sampled
// completions, for self-consistency) and tokenizer.Tokenizer.
//
// # Template syntax
//
// A template is literal text with placeholders in braces:
//
//	{mask}满意。{text_a|trunc}
//	Review: {text_a|trunc} Sentiment: {mask}
//
// Placeholders:
//
//	{name}           an input field of the example: {text_a}, {text_b}, or any
//	                 name of letters, digits and _ not starting with a digit
//	{name|trunc}     a shortenable field: when the prompt is too long, tokens
//	                 are dropped from its end ({name|trunc=tail}, the
//	                 default) or its start ({name|trunc=head})
//	{mask}           where the label word goes; {mask:N} reserves N tokens
//	{soft}           a trainable soft token (P-tuning); {soft:N} for N of them
//	{sep}            the tokenizer's separator; type ids are 1 after it
//	{{ and }}        a literal "{" and "}"
//
// Counts N run from 1 to MaxCount. Options apply to fields only, each at
// most once; spaces inside braces are ignored. mask, soft and sep are
// reserved names. Parse can also be given the list of valid field names,
// so that a misspelt field is an error with a suggestion.
//
// A template has a Kind. A Cloze template (for MLM encoders such as BERT)
// needs at least one {mask}. A Prefix template (for decoders and
// encoder-decoders) has at most one {mask}, as its very last part, since the
// label words are appended there; without one, a mask is implied at the
// end. Every template reads at least one field.
//
// Errors are *SyntaxError values printed as "name:line:col: message", with
// the line and column of the offending character; the column counts runes,
// not bytes, so it matches an editor's column in Chinese text:
//
//	template:1:10: unknown placeholder "{txet_a}" (did you mean "{text_a}"?)
//
// # Rendering
//
// Template.Render tokenizes each part separately and returns ids, type
// ids, the positions of every mask slot and soft token, and the prompt as
// text. Cloze prompts are wrapped in [CLS] ... [SEP]; prefix prompts get no
// special tokens. When the prompt exceeds the maximum length, shortenable
// fields lose tokens one at a time from the longest (HF's longest_first);
// if the rest of the prompt alone is too long, Render returns an error
// giving both lengths.
//
// # Answers
//
// A Verbalizer maps labels to label words. A runner's TokenScores give a
// log-probability for each token of each word ([label][word][token]); a
// word's score aggregates its tokens (first, mean or max, for multi-token
// words such as 非常), a label's score aggregates its words (mean or max),
// and the label distribution is the softmax of the label scores.
// Calibrate divides it by the distribution of content-free inputs such as
// "N/A" and renormalises (Zhao et al. 2021). Prompt ties a template, a
// verbalizer and a tokenizer together; LoadConfig reads templates, the
// verbalizer and content-free inputs from a YAML or JSON file.
//
// # Multi-prompt methods
//
// Each is a function over Scorer with documented semantics:
//
//   - Ensemble / Combine: several templates, one label set; mean of
//     probabilities, mean of log scores, or a weighted vote whose ties go to
//     the higher mean probability, then to the lower label index.
//   - Demos / ClassifyWithDemos: K demonstrations drawn from a pool by seed
//     (optionally balanced per label), rendered with their label word and
//     put before the query. Demonstrations are dropped from the end until
//     the prompt fits without truncating the query; an error if none fits
//     (or, when Strict, if any is dropped).
//   - Compose / Composition: cloze sub-templates joined into one prompt;
//     each mask slot has its own verbalizer, and a final label's score is
//     the sum of its slot labels' log-probabilities (PTR).
//   - Decompose: one sub-question per candidate span; non-null answers are
//     merged greedily by probability into non-overlapping spans.
//
// # Chain of thought
//
// CoT renders few-shot exemplars (question, rationale, answer) or a
// zero-shot trigger ("Let's think step by step.", or 让我们一步一步地思考。 with
// Chinese). Extract picks an answer with an Extractor (Numbers, Options,
// Regexp): the first candidate after the last answer trigger, else the last
// one in the text. CoT.SelfConsistency samples k rationales from a Sampler
// and returns the majority answer with its vote counts.
package prompt
