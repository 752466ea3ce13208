package tokenizer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// trainCase is one line of testdata/train/expected.jsonl.gz, written by
// scripts/fixtures/make_tokenizer_train.py from HF tokenizers 0.20.3.
type trainCase struct {
	Name, Kind, Input string
	Settings          trainSettings
	HFDistinctRuns    int `json:"hf_distinct_runs"`
	// hard cases: everything inline
	Vocab     []string
	Merges    [][2]string
	Files     map[string]string
	Encodings [][]int64
	// shared cases: hashes only
	VocabSha  []string `json:"vocab_sha"`
	MergesSha []string `json:"merges_sha"`
}

// trainSettings are the fixture's settings, in HF's argument names.
type trainSettings struct {
	VocabSize          int      `json:"vocab_size"`
	MinFrequency       int      `json:"min_frequency"`
	LimitAlphabet      int      `json:"limit_alphabet"`
	SpecialTokens      []string `json:"special_tokens"`
	CleanText          bool     `json:"clean_text"`
	HandleChineseChars bool     `json:"handle_chinese_chars"`
	StripAccents       *bool    `json:"strip_accents"`
	Lowercase          bool     `json:"lowercase"`
	AddPrefixSpace     bool     `json:"add_prefix_space"`
	MaxTokenLength     *int     `json:"max_token_length"`
}

func (s trainSettings) wordPiece() WordPieceOptions {
	o := DefaultWordPieceOptions()
	o.VocabSize, o.MinFrequency, o.LimitAlphabet, o.SpecialTokens = s.VocabSize, s.MinFrequency, s.LimitAlphabet, s.SpecialTokens
	o.CleanText, o.ChineseChars, o.StripAccents, o.Lowercase = s.CleanText, s.HandleChineseChars, s.StripAccents, s.Lowercase
	return o
}

func (s trainSettings) bpe() BPEOptions {
	o := DefaultBPEOptions()
	o.VocabSize, o.MinFrequency, o.SpecialTokens = s.VocabSize, s.MinFrequency, s.SpecialTokens
	o.AddPrefixSpace, o.Lowercase = s.AddPrefixSpace, s.Lowercase
	if s.MaxTokenLength != nil {
		o.MaxTokenLength = *s.MaxTokenLength
	}
	return o
}

func sha8(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}

// readGzip returns the decompressed contents of a testdata file.
func readGzip(t testing.TB, path string) io.Reader {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return zr
}

// readCaseLines reads a gzip JSONL fixture: a {"meta": …} line, then one
// case per line.
func readCaseLines[T any](t *testing.T, path string) []T {
	t.Helper()
	var cases []T
	sc := bufio.NewScanner(readGzip(t, path))
	sc.Buffer(nil, 16<<20)
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			continue // {"meta": versions}
		}
		var c T
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

func readTrainCases(t *testing.T) []trainCase {
	cases := readCaseLines[trainCase](t, "testdata/train/expected.jsonl.gz")
	if len(cases) < 10 {
		t.Fatalf("expected.jsonl.gz: %d cases, want ≥ 10", len(cases))
	}
	return cases
}

// sharedTrainTexts are the fixture's shared input: the first 200 texts of
// every text field, in the script's field order.
func sharedTrainTexts(t *testing.T) []string {
	all := sharedTexts(t)
	var out []string
	for _, k := range []textKey{{"csl", "content"}, {"csl", "title"}, {"fault-ie", "text"}, {"cmrc2018", "context"}, {"cmrc2018", "question"}, {"chnsenticorp", "review"}} {
		ts := all[k]
		out = append(out, ts[:min(200, len(ts))]...)
	}
	return out
}

// TestTrainParity trains on the fixture's inputs with its settings and
// requires HF's vocabulary with ids and, for BPE, HF's merges in order.
// WordPiece replays the recorded run's HashMap order (see hfOrder); BPE
// needs no replay, its result does not depend on that order.
func TestTrainParity(t *testing.T) {
	for _, c := range readTrainCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			var src Source
			var texts []string
			if c.Input == "hard" {
				src = TextFiles([]string{"testdata/train/hard.txt"})
				texts = readLinesForTest(t, "testdata/train/hard.txt")
			} else {
				texts = sharedTrainTexts(t)
				src = Texts(texts)
			}
			want := c.VocabSha
			if c.Vocab != nil {
				want = mapSlice(c.Vocab, sha8)
			}
			var tr *Trained
			var err error
			switch Kind(c.Kind) {
			case KindWordPiece:
				o := c.Settings.wordPiece()
				o.order = replayOrder(texts, o, want)
				tr, err = TrainWordPiece(src, o)
			case KindBPE:
				tr, err = TrainBPE(src, c.Settings.bpe())
			}
			if err != nil {
				t.Fatal(err)
			}
			compareTokens(t, "vocab", tr.Vocab, c.Vocab, c.VocabSha, func(s string) string { return s })
			if c.Kind == "bpe" {
				compareTokens(t, "merges", tr.Merges, c.Merges, c.MergesSha, func(m [2]string) string { return m[0] + " " + m[1] })
			}
			if c.Files != nil {
				compareSaved(t, tr, c)
			}
		})
	}
}

// replayOrder reads back from HF's vocabulary (token hashes by id) the two
// choices HF made in HashMap order: which characters tied at the alphabet
// cut it kept (a single character in its vocabulary was kept), and the id of
// every prefixed character token.
func replayOrder(texts []string, o WordPieceOptions, vocabSha []string) *hfOrder {
	at := map[string]int{}
	for id, h := range vocabSha {
		at[h] = id
	}
	ord := &hfOrder{kept: map[rune]bool{}, subword: map[string]int{}}
	norm := o.normalizer()
	for _, text := range texts {
		for _, r := range norm.normalize(newNormText([]rune(text), 0)).runes {
			if unicode.IsSpace(r) {
				continue
			}
			if _, ok := at[sha8(string(r))]; ok {
				ord.kept[r] = true
			}
			if id, ok := at[sha8(o.Prefix+string(r))]; ok {
				ord.subword[o.Prefix+string(r)] = id
			}
		}
	}
	return ord
}

// compareTokens checks tokens against HF's, spelled out (hard cases) or as
// hashes (shared ones), and reports the first difference.
func compareTokens[T any](t *testing.T, what string, got []T, want []T, wantSha []string, spell func(T) string) {
	t.Helper()
	if want != nil {
		wantSha = mapSlice(want, func(x T) string { return sha8(spell(x)) })
	}
	gotSha := mapSlice(got, func(x T) string { return sha8(spell(x)) })
	for i := range min(len(gotSha), len(wantSha)) {
		if gotSha[i] != wantSha[i] {
			hf := "(hash " + wantSha[i] + ")"
			if want != nil {
				hf = strings.TrimSpace(spell(want[i]))
			}
			t.Fatalf("%s[%d] = %q, HF has %s (%d vs %d entries)", what, i, spell(got[i]), hf, len(got), len(wantSha))
		}
	}
	if len(gotSha) != len(wantSha) {
		t.Fatalf("%s: %d entries, HF has %d", what, len(gotSha), len(wantSha))
	}
}

// compareSaved saves the trained tokenizer and compares every file with what
// transformers' save_pretrained wrote for HF's (JSON files as JSON values,
// vocabulary and merges files byte for byte), then loads it back and
// requires the ids AutoTokenizer gave every hard line.
func compareSaved(t *testing.T, tr *Trained, c trainCase) {
	t.Helper()
	dir := t.TempDir()
	names, err := tr.Save(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(maps.Keys(c.Files))
	if slices.Sort(names); !slices.Equal(names, want) {
		t.Fatalf("Save wrote %v, save_pretrained writes %v", names, want)
	}
	for _, name := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".json") && name != "vocab.json" {
			if g, w := jsonValue(t, got), jsonValue(t, []byte(c.Files[name])); !reflect.DeepEqual(g, w) {
				t.Errorf("%s differs from HF's:\n got %s\nwant %s", name, clip(got), clip([]byte(c.Files[name])))
			}
			continue
		}
		if !bytes.Equal(got, []byte(c.Files[name])) {
			t.Errorf("%s differs from HF's:\n got %s\nwant %s", name, clip(got), clip([]byte(c.Files[name])))
		}
	}
	tok, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(saved): %v", err)
	}
	lines := readLinesForTest(t, "testdata/train/hard.txt")
	for i, line := range lines {
		if !strings.HasSuffix(line, "\r\n") { // the script encodes its lines without the "\n" it adds
			line = strings.TrimSuffix(line, "\n")
		}
		enc, err := tok.Encode(line, true)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if !slices.Equal(enc.IDs, c.Encodings[i]) {
			t.Errorf("line %d %q: ids %v, AutoTokenizer %v", i+1, line, enc.IDs, c.Encodings[i])
		}
	}
}

func readLinesForTest(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	if err := TextFiles([]string{path})(func(s string) error { out = append(out, s); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonValue(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v in %s", err, clip(data))
	}
	return v
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

func mapSlice[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}
