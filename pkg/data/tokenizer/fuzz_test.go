package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEncode checks that no input panics. Valid UTF-8 always encodes, with
// one type id, offset and token per id, offsets inside the text, every id in
// the vocabulary, and byte-level BPE's decode (GPT-2's, and one trained
// here) giving the text back exactly.
// Invalid UTF-8 is an error, never a guess (see Pipeline.Encode).
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "hello world", "café İstanbul ẞ Ⱥ", "a\u3000b\u00a0c\u2028d", "\ufeff\u200b\u00ad\ue584",
		"......~~~~ 100084", "\n\n \n", "[SEP][unused11]<|endoftext|>", "我爱NLP😀", "bad\xff", "\xe4\xb8",
		"ｶﾞ①ﬁ e\u0301\u0323 </s><extra_id_0>▁▁", "\u3000 x  y\t"} {
		f.Add(s)
	}
	tokenizers := map[string]*Pipeline{}
	if _, err := findShared(); err == nil {
		tokenizers["bert"], tokenizers["gpt2"] = sharedBert(f), sharedGPT2(f)
	}
	for _, name := range unigramTokenizers { // committed fixtures: no ../shared needed
		tokenizers[name] = loadUnigram(f, name)
	}
	tokenizers["wordpiece"], tokenizers["bpe"] = trainedTokenizers(f) // no ../shared needed either
	f.Fuzz(func(t *testing.T, text string) {
		if len(tokenizers) == 0 {
			t.Skip("../shared is missing")
		}
		for name, tok := range tokenizers {
			enc, err := tok.Encode(text, true)
			if !utf8.ValidString(text) {
				if err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
					t.Fatalf("%s: invalid UTF-8 gave error %v", name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			n := len(enc.IDs)
			if len(enc.TypeIDs) != n || len(enc.Offsets) != n || len(enc.Tokens) != n {
				t.Fatalf("%s: %d ids, %d type ids, %d offsets, %d tokens", name, n, len(enc.TypeIDs), len(enc.Offsets), len(enc.Tokens))
			}
			runes := utf8.RuneCountInString(text)
			for i, id := range enc.IDs {
				if s, ok := tok.IDToToken(id); !ok || s != enc.Tokens[i] && !isAddedID(tok, id) {
					t.Fatalf("%s: id %d is token %q, encoding says %q", name, id, s, enc.Tokens[i])
				}
				if o := enc.Offsets[i]; o[0] < 0 || o[0] > o[1] || o[1] > runes {
					t.Fatalf("%s: token %d offsets %v outside [0, %d]", name, i, o, runes)
				}
			}
			if dec := tok.Decode(enc.IDs, false); (name == "gpt2" || name == "bpe") && dec != text {
				t.Fatalf("%s: decode %q, want the text %q", name, dec, text)
			}
		}
	})
}

// fuzzCorpus trains the small tokenizers the fuzz targets use without
// ../shared: mixed scripts, so merges span ASCII, CJK and emoji bytes.
var fuzzCorpus = []string{
	"hello world, hello tokenizer", "the quick brown fox jumps over the lazy dog",
	"我爱自然语言处理。我爱机器学习！", "café naïve résumé", "😀 emoji 😀 emoji", "x=1; y=2; z=x+y",
}

// trainedTokenizers trains a WordPiece and a byte-level BPE on fuzzCorpus,
// saves them in HF's layout and loads them back through vocab.txt and
// vocab.json + merges.txt, the loaders users reach with --tokenizer.
func trainedTokenizers(f *testing.F) (wordPiece, bpe *Pipeline) {
	wo := DefaultWordPieceOptions()
	wo.VocabSize, wo.MinFrequency, wo.Workers = 200, 1, 1
	bo := DefaultBPEOptions()
	bo.VocabSize, bo.MinFrequency, bo.Workers, bo.SpecialTokens = 400, 1, 1, []string{"<|endoftext|>"}
	dir := f.TempDir()
	for _, train := range []func() (*Trained, error){
		func() (*Trained, error) { return TrainWordPiece(Texts(fuzzCorpus), wo) },
		func() (*Trained, error) { return TrainBPE(Texts(fuzzCorpus), bo) },
	} {
		tr, err := train()
		if err != nil {
			f.Fatal(err)
		}
		if _, err := tr.Save(filepath.Join(dir, string(tr.Kind))); err != nil {
			f.Fatal(err)
		}
	}
	var err error
	if wordPiece, err = NewBert(filepath.Join(dir, string(KindWordPiece), "vocab.txt"), DefaultBertOptions()); err != nil {
		f.Fatal(err)
	}
	if bpe, err = NewGPT2(filepath.Join(dir, string(KindBPE), "vocab.json"), filepath.Join(dir, string(KindBPE), "merges.txt")); err != nil {
		f.Fatal(err)
	}
	return wordPiece, bpe
}

// FuzzVocabTxt checks the WordPiece loader on arbitrary vocab.txt files:
// no panic; a file missing [UNK], [CLS] or [SEP] is an error naming the
// file; an accepted file warns once per repeated line (up to the cap),
// naming its path; and encoding a text gives only ids the vocabulary maps
// to tokens, each id the last line its token is on.
func FuzzVocabTxt(f *testing.F) {
	const specials = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
	for _, s := range []struct{ vocab, text string }{
		{specials + "好\n##的\nhello\n##lo\n", "hello 好的"},
		{specials + "好\n好\n", "好"},
		{strings.ReplaceAll(specials, "\n", "\r\n") + "a\r\n##b\r\n", "ab"},
		{"[UNK]\n[CLS]\n", "x"},
		{specials + "\n\n\n", ""},
		{specials + "[unused1]\n##\n#\n", "[unused1] ## #"},
		{"\xff\n" + specials, "\xff"},
	} {
		f.Add(s.vocab, s.text)
	}
	path := filepath.Join(f.TempDir(), "vocab.txt") // one file per worker: inputs run one at a time
	f.Fuzz(func(t *testing.T, vocab, text string) {
		if err := os.WriteFile(path, []byte(vocab), 0o644); err != nil {
			t.Fatal(err)
		}
		tok, err := NewBert(path, DefaultBertOptions())
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		last, repeats := map[string]int64{}, 0
		for i, line := range strings.Split(strings.TrimSuffix(vocab, "\n"), "\n") {
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\r"), "\r") // bufio.ScanLines drops one, readVocabTxt another
			if _, ok := last[line]; ok {
				repeats++
			}
			last[line] = int64(i)
		}
		if ws := tok.Warnings(); len(ws) != min(repeats, maxWarnings)+btoi(repeats > maxWarnings) {
			t.Fatalf("%d repeated lines, warnings %q", repeats, ws)
		} else if len(ws) > 0 && !strings.HasPrefix(ws[0], path+":") {
			t.Fatalf("warning %q does not name the file", ws[0])
		}
		enc, err := tok.Encode(text, true)
		if err != nil {
			if utf8.ValidString(text) {
				t.Fatalf("Encode(%q): %v", text, err)
			}
			return
		}
		for i, id := range enc.IDs {
			s, ok := tok.IDToToken(id)
			if !ok || s != enc.Tokens[i] {
				t.Fatalf("id %d is token %q (%v), encoding says %q", id, s, ok, enc.Tokens[i])
			}
			if want, ok := last[s]; ok && want != id {
				t.Fatalf("token %q has id %d, its last line is %d", s, id, want+1)
			}
		}
		_ = tok.Decode(enc.IDs, true)
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzTokenizerJSON checks the tokenizer.json loader on arbitrary files:
// no panic; an error names the file; and a tokenizer it accepts encodes a
// text to ids it maps back to the encoding's tokens, with one type id and
// offset per id, and decodes them without a panic.
func FuzzTokenizerJSON(f *testing.F) {
	for _, name := range []string{"testdata/bert.skeleton.json", "testdata/gpt2.skeleton.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "hello 世界")
	}
	// Small seeds only: the committed Unigram fixtures (0.2–0.6 MB) would
	// make each mutation slow; FuzzEncode runs them.
	dir := f.TempDir()
	uo := DefaultUnigramOptions()
	uo.VocabSize, uo.UnkToken, uo.Workers, uo.SpecialTokens = 60, "<unk>", 1, []string{"<pad>", "</s>"}
	un, err := TrainUnigram(Texts(fuzzCorpus), uo)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := un.Save(filepath.Join(dir, "unigram")); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "unigram", "tokenizer.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "▁hello world 你好")
	for _, train := range []func() (*Trained, error){
		func() (*Trained, error) {
			o := DefaultWordPieceOptions()
			o.VocabSize, o.MinFrequency, o.Workers = 80, 1, 1
			return TrainWordPiece(Texts(fuzzCorpus), o)
		},
		func() (*Trained, error) {
			o := DefaultBPEOptions()
			o.VocabSize, o.MinFrequency, o.Workers = 270, 1, 1
			return TrainBPE(Texts(fuzzCorpus), o)
		},
	} {
		tr, err := train()
		if err != nil {
			f.Fatal(err)
		}
		d := filepath.Join(dir, string(tr.Kind))
		if _, err := tr.Save(d); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(d, "tokenizer.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "hello world 我爱")
	}
	f.Add([]byte(`{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1}, "unk_token": "[UNK]"}}`), "a b")
	f.Add([]byte(`{"model": {"type": "Unigram", "vocab": [["<unk>", 0], ["a", -1]], "unk_id": 0}}`), "aa")
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {}, "merges": ["a b"]}, "pre_tokenizer": {"type": "ByteLevel"}}`), "ab")
	f.Add([]byte(`{"added_tokens": [{"id": -1, "content": ""}], "model": null}`), "")
	path := filepath.Join(f.TempDir(), "tokenizer.json") // one file per worker: inputs run one at a time
	f.Fuzz(func(t *testing.T, file []byte, text string) {
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		tok, err := FromTokenizerJSON(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		enc, err := tok.Encode(text, true)
		if err != nil {
			return // a text the tokenizer cannot encode is an error, which is fine
		}
		n := len(enc.IDs)
		if len(enc.TypeIDs) != n || len(enc.Offsets) != n || len(enc.Tokens) != n {
			t.Fatalf("%d ids, %d type ids, %d offsets, %d tokens", n, len(enc.TypeIDs), len(enc.Offsets), len(enc.Tokens))
		}
		for i, id := range enc.IDs {
			// An added token's entry is the text it matched, as in HF's
			// Encoding: with the spaces lstrip and rstrip took, normalized.
			if s, ok := tok.IDToToken(id); !ok || s != enc.Tokens[i] && !isAddedID(tok, id) {
				t.Fatalf("id %d is token %q (%v), encoding says %q", id, s, ok, enc.Tokens[i])
			}
		}
		_ = tok.Decode(enc.IDs, false)
		_ = tok.Decode(enc.IDs, true)
	})
}

func isAddedID(p *Pipeline, id int64) bool {
	for _, a := range p.added {
		if a.id == id {
			return true
		}
	}
	return false
}
