package run

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// charTok is a one-token-per-character tokenizer over a fixed alphabet,
// small enough for the 512-token fixture models: [PAD]=0 [UNK]=1 [CLS]=2
// [SEP]=3 [MASK]=4, then the alphabet's characters.
type charTok struct {
	ids map[rune]int64
	inv []string
}

const alphabet = "很非常不满意好差房间干净服务态度热情设施旧吵早餐一般。，！？ 0123456789+=abcdefghijklmnopqrstuvwxyz:ABQ."

var _ tokenizer.Tokenizer = (*charTok)(nil)

func newCharTok() *charTok {
	t := &charTok{ids: map[rune]int64{}, inv: []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}}
	for _, r := range alphabet {
		if _, ok := t.ids[r]; !ok {
			t.ids[r] = int64(len(t.inv))
			t.inv = append(t.inv, string(r))
		}
	}
	return t
}

func (t *charTok) Encode(text string, addSpecial bool) (tokenizer.Encoding, error) {
	var e tokenizer.Encoding
	for i, r := range []rune(text) {
		id, ok := t.ids[r]
		if !ok {
			id = 1
		}
		e.IDs = append(e.IDs, id)
		e.TypeIDs = append(e.TypeIDs, 0)
		e.Offsets = append(e.Offsets, [2]int{i, i + 1})
		e.Tokens = append(e.Tokens, string(r))
	}
	return e, nil
}

func (t *charTok) EncodePair(a, b string, addSpecial bool) (tokenizer.Encoding, error) {
	return t.Encode(a+b, addSpecial)
}

func (t *charTok) Decode(ids []int64, skipSpecial bool) string {
	var b strings.Builder
	for _, id := range ids {
		if id < 0 || int(id) >= len(t.inv) || (skipSpecial && id < 5) {
			continue
		}
		b.WriteString(t.inv[id])
	}
	return b.String()
}

func (t *charTok) TokenToID(s string) (int64, bool) {
	for i, x := range t.inv {
		if x == s {
			return int64(i), true
		}
	}
	return 0, false
}

func (t *charTok) IDToToken(id int64) (string, bool) {
	if id < 0 || int(id) >= len(t.inv) {
		return "", false
	}
	return t.inv[id], true
}

func (t *charTok) VocabSize() int { return len(t.inv) }

func (t *charTok) Special() tokenizer.Specials {
	return tokenizer.Specials{PAD: 0, UNK: 1, CLS: 2, SEP: 3, MASK: 4, BOS: -1, EOS: -1}
}

// fixture loads a runner over testdata/models/<name> (tiny random HF
// checkpoints made by scripts/fixtures).
func fixture(t *testing.T, name string) *Runner {
	t.Helper()
	r, err := Load(filepath.Join("..", "..", "..", "testdata", "models", name), gotch.CPU, 0)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	t.Cleanup(r.Close)
	return r
}

// mustPrompt builds a prompt over the char tokenizer.
func mustPrompt(t *testing.T, src string, kind prompt.Kind, labels []string, words [][]string, wordAgg, labelAgg prompt.Agg) *prompt.Prompt {
	t.Helper()
	tpl, err := prompt.Parse("t", src, kind)
	if err != nil {
		t.Fatal(err)
	}
	v, err := prompt.NewVerbalizer(labels, words, wordAgg, labelAgg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := prompt.NewPrompt(tpl, v, newCharTok(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// logSoftmaxAt returns log-softmax(row)[id] in float64.
func logSoftmaxAt(row []float32, id int64) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	sum := 0.0
	for _, v := range row {
		sum += math.Exp(float64(v) - m)
	}
	return float64(row[id]) - m - math.Log(sum)
}

// checkNoLeak fails when fn leaves tensors alive.
func checkNoLeak(t *testing.T, fn func()) {
	t.Helper()
	before := tensor.Live()
	fn()
	if after := tensor.Live(); after != before {
		t.Errorf("live tensors: %d before, %d after", before, after)
	}
}

var sentiment = struct {
	labels []string
	words  [][]string
}{[]string{"1", "0"}, [][]string{{"很", "非常"}, {"不"}}}

var reviews = []string{"房间干净，服务热情！", "设施旧，很吵。", "早餐一般", "好"}
