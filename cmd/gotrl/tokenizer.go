package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// trained is what a trainer returns: a tokenizer that saves itself in HF's
// layout, and what it was trained on.
type trained interface {
	Save(dir string) ([]string, error)
	summary() string
}

// trainers maps each --model to its trainer.
var trainers = map[tokenizer.Kind]func(tokenizer.Source, *tokFlags) (trained, error){
	tokenizer.KindWordPiece: trainWordPiece,
	tokenizer.KindBPE:       trainBPE,
	tokenizer.KindUnigram:   trainUnigram,
}

// wpbpe and unigram wrap the package's results with their summary line.
type wpbpe struct{ *tokenizer.Trained }

func (t wpbpe) summary() string {
	return fmt.Sprintf("%d tokens (%d special) from %d texts, %d distinct words", len(t.Vocab), len(t.Special), t.Texts, t.Words)
}

type unigram struct{ *tokenizer.TrainedUnigram }

func (t unigram) summary() string {
	return fmt.Sprintf("%d pieces (%d special) from %d texts, %d distinct words", len(t.Pieces), len(t.Special), t.Texts, t.Words)
}

// tokFlags are gotrl tokenizer train's flags. A trainer starts from its
// class's defaults and applies only the flags given (changed).
type tokFlags struct {
	// files are the inputs and the output, in the flag vocabulary of the
	// other commands (their old names, --input, --field, -o/--output, work).
	files struct {
		Inputs  []string `yaml:"train_file" alias:"input"`
		Fields  []string `yaml:"text_fields" alias:"field" help:"record fields holding text in JSON/JSONL/CSV/TSV inputs (repeatable; each record gives the ones it has)"`
		Format  string   `yaml:"format"`
		SkipBad bool     `yaml:"skip_bad"`
		Output  string   `yaml:"output_dir" alias:"output" short:"o"`
	}
	model, output, format, prefix, unk        string
	inputs, fields, special                   []string
	skipBad, lowercase, noLowercase           bool
	stripAccents, noStripAccents              bool
	cleanText, chineseChars, prefixSpace      bool
	vocabSize, minFreq, limitAlphabet, maxLen int
	changed                                   func(name string) bool
	progress                                  func(vocab, target int)
}

func newTokenizerCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tokenizer", Short: "Tokenizer tools"}
	var f tokFlags
	train := &cobra.Command{
		Use:   "train [FILES...]",
		Short: "Train a WordPiece (BERT), byte-level BPE (GPT-2) or Unigram (SentencePiece, T5) tokenizer as HF tokenizers does",
		Long: "Trains with the defaults of HF tokenizers' classes: wordpiece is BertWordPieceTokenizer (lowercase,\n" +
			"accents stripped, CJK characters split, min frequency 2, 1000 characters, [PAD] [UNK] [CLS] [SEP] [MASK]),\n" +
			"bpe is ByteLevelBPETokenizer (no prefix space, min frequency 2, no special tokens); both 30000 tokens.\n" +
			"unigram is SentencePieceUnigramTokenizer (NMT + NFKC normalizer, Metaspace ▁, 8000 pieces, no special\n" +
			"tokens and no unk: give --special-tokens '<unk>' --unk-token '<unk>' to encode unseen characters).\n" +
			"Plain-text inputs give one text per line; JSON, JSONL, CSV and TSV inputs give the --text-fields values of\n" +
			"every record. Writes tokenizer.json, vocab.txt or vocab.json + merges.txt, tokenizer_config.json and\n" +
			"special_tokens_map.json: gotrl's --tokenizer and transformers' AutoTokenizer.from_pretrained load DIR.\n" +
			"--threads sets the goroutines that split texts (default: one per core).",
		Example: "  gotrl tokenizer train --model wordpiece --vocab-size 8000 --train-file corpus.txt -o tok/wp\n" +
			"  gotrl tokenizer train --model bpe --vocab-size 5000 --train-file csl.json \\\n" +
			"      --text-fields content --text-fields title --special-tokens '<|endoftext|>' -o tok/bpe\n" +
			"  gotrl tokenizer train --model unigram --vocab-size 8000 --special-tokens '<unk>' --unk-token '<unk>' corpus.txt -o tok/spm",
		RunE: func(cmd *cobra.Command, args []string) error {
			f.inputs = append(f.files.Inputs, args...)
			f.fields, f.format, f.skipBad, f.output = f.files.Fields, f.files.Format, f.files.SkipBad, f.files.Output
			f.changed = cmd.Flags().Changed
			return runTokenizerTrain(cmd, &f)
		},
	}
	fl := train.Flags()
	fl.StringVar(&f.model, "model", "wordpiece", "wordpiece, bpe or unigram")
	mustBind(train, &f.files)
	bindTokenizerOptions(fl, &f)
	_ = train.MarkFlagRequired("output-dir")
	cmd.AddCommand(train)
	return cmd
}

// bindTokenizerOptions binds the trainers' settings; defaults shown are the
// WordPiece ones where the two differ.
func bindTokenizerOptions(fl *pflag.FlagSet, f *tokFlags) {
	wp := tokenizer.DefaultWordPieceOptions()
	fl.IntVar(&f.vocabSize, "vocab-size", wp.VocabSize, "vocabulary size, special tokens included")
	fl.IntVar(&f.minFreq, "min-frequency", wp.MinFrequency, "pairs seen fewer times are never merged")
	fl.StringSliceVar(&f.special, "special-tokens", wp.SpecialTokens, "special tokens, given the first ids (bpe: none)")
	fl.BoolVar(&f.lowercase, "lowercase", wp.Lowercase, "lowercase the text (bpe: false)")
	fl.BoolVar(&f.noLowercase, "no-lowercase", false, "keep case (same as --lowercase=false)")
	fl.IntVar(&f.limitAlphabet, "limit-alphabet", wp.LimitAlphabet, "wordpiece: keep the N most frequent characters; 0 keeps all")
	fl.BoolVar(&f.stripAccents, "strip-accents", false, "wordpiece: strip accents (default: when lowercasing)")
	fl.BoolVar(&f.noStripAccents, "no-strip-accents", false, "wordpiece: keep accents even when lowercasing")
	fl.BoolVar(&f.cleanText, "clean-text", wp.CleanText, "wordpiece: drop control characters, whitespace becomes a space")
	fl.BoolVar(&f.chineseChars, "chinese-chars", wp.ChineseChars, "wordpiece: every CJK character is a word of its own")
	fl.StringVar(&f.prefix, "prefix", wp.Prefix, "wordpiece: continuing-subword prefix")
	fl.BoolVar(&f.prefixSpace, "add-prefix-space", false, "bpe: a text not starting with a space gets one")
	fl.IntVar(&f.maxLen, "max-token-length", 0, "bpe: no learned token longer than N characters; 0: no limit; unigram: longest piece (default 16)")
	fl.StringVar(&f.unk, "unk-token", "", "unigram: the unknown-character token (default: none, as HF's class)")
}

func runTokenizerTrain(cmd *cobra.Command, f *tokFlags) error {
	kind, err := tokenizer.ParseKind(f.model)
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	train, ok := trainers[kind]
	if !ok {
		return fmt.Errorf("--model %s: no trainer (available: wordpiece, bpe, unigram)", kind)
	}
	if len(f.inputs) == 0 {
		return fmt.Errorf("no input files: give --train-file FILES or files as arguments")
	}
	if f.changed("lowercase") && f.changed("no-lowercase") || f.changed("strip-accents") && f.changed("no-strip-accents") {
		return fmt.Errorf("--lowercase/--no-lowercase and --strip-accents/--no-strip-accents: give one of each pair")
	}
	prog := newTrainProgress(cmd.ErrOrStderr())
	f.progress = prog.merged
	src, total, err := trainSource(f, prog.read)
	if err != nil {
		return err
	}
	prog.reading(total)
	start := time.Now()
	tr, err := train(src, f)
	prog.finish(err)
	if err != nil {
		return err
	}
	names, err := tr.Save(f.output)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, in %s; wrote %s in %s\n",
		kind, tr.summary(), time.Since(start).Round(time.Millisecond), strings.Join(names, ", "), f.output)
	return nil
}

func trainWordPiece(src tokenizer.Source, f *tokFlags) (trained, error) {
	o := tokenizer.DefaultWordPieceOptions()
	o.VocabSize, o.MinFrequency, o.LimitAlphabet = f.vocabSize, f.minFreq, f.limitAlphabet
	o.SpecialTokens, o.Prefix, o.CleanText, o.ChineseChars = f.special, f.prefix, f.cleanText, f.chineseChars
	o.Lowercase = f.lowercase && !f.noLowercase
	if f.changed("strip-accents") || f.changed("no-strip-accents") {
		strip := f.stripAccents && !f.noStripAccents
		o.StripAccents = &strip
	}
	o.Workers, o.Progress = global.threads, f.progress
	if f.changed("add-prefix-space") || f.changed("max-token-length") {
		return nil, fmt.Errorf("--add-prefix-space and --max-token-length are bpe options")
	}
	t, err := tokenizer.TrainWordPiece(src, o)
	return wpbpe{t}, err
}

func trainBPE(src tokenizer.Source, f *tokFlags) (trained, error) {
	for _, name := range []string{"limit-alphabet", "strip-accents", "no-strip-accents", "clean-text", "chinese-chars", "prefix"} {
		if f.changed(name) {
			return nil, fmt.Errorf("--%s is a wordpiece option", name)
		}
	}
	o := tokenizer.DefaultBPEOptions()
	o.VocabSize, o.MinFrequency, o.AddPrefixSpace, o.MaxTokenLength = f.vocabSize, f.minFreq, f.prefixSpace, f.maxLen
	if f.changed("special-tokens") {
		o.SpecialTokens = f.special
	}
	if f.changed("lowercase") {
		o.Lowercase = f.lowercase
	}
	o.Workers, o.Progress = global.threads, f.progress
	t, err := tokenizer.TrainBPE(src, o)
	return wpbpe{t}, err
}

func trainUnigram(src tokenizer.Source, f *tokFlags) (trained, error) {
	o := tokenizer.DefaultUnigramOptions()
	for _, name := range []string{"min-frequency", "limit-alphabet", "strip-accents", "no-strip-accents", "clean-text", "chinese-chars", "prefix", "lowercase", "no-lowercase"} {
		if f.changed(name) {
			return nil, fmt.Errorf("--%s is not a unigram option", name)
		}
	}
	if f.changed("vocab-size") {
		o.VocabSize = f.vocabSize
	}
	if f.changed("special-tokens") {
		o.SpecialTokens = f.special
	}
	if f.changed("max-token-length") {
		o.MaxPieceLength = f.maxLen
	}
	if f.changed("add-prefix-space") {
		o.AddPrefixSpace = f.prefixSpace
	}
	o.UnkToken, o.Workers = f.unk, global.threads
	if f.progress != nil {
		o.Progress = f.progress
	}
	t, err := tokenizer.TrainUnigram(src, o)
	return unigram{t}, err
}
