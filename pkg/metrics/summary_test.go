package metrics

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is testdata/summary.json, written by scripts/fixtures/make_metrics.py:
// ROUGE from the script's own Python reference, BLEU from sacrebleu 2.4.3.
type fixture struct {
	Pairs []struct {
		Group, Kind            string
		Prediction, Reference  []piece
		PredictionSHA          string `json:"prediction_sha"`
		ReferenceSHA           string `json:"reference_sha"`
		Rouge1, Rouge2, RougeL float64
		CJKOnly                bool   `json:"cjk_only"`
		predText, refText      string // assembled by loadFixture
	}
	Corpora []struct {
		Name, Group, Tokenize string
		Pairs                 int
		bleuFixture
		Rouge *struct{ Rouge1, Rouge2, RougeL float64 }
	}
	BLEUCases []struct {
		Name  string
		Pairs [][2]string
		bleuFixture
	} `json:"bleu_cases"`
}

// piece is a literal or a [start, end) rune span of a CSL field: the shared
// texts are not in the repository, only where to find them.
type piece struct {
	Text  *string
	CSL   int
	Field string
	Span  [2]int
}

// bleuFixture is sacrebleu's BLEUScore.
type bleuFixture struct {
	Score, BP      float64
	Counts, Totals []int
	SysLen         int `json:"sys_len"`
	RefLen         int `json:"ref_len"`
	Precisions     []float64
}

const tol = 1e-9

func loadFixture(t *testing.T) (*fixture, []map[string]string) {
	t.Helper()
	b, err := os.ReadFile("testdata/summary.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	csl, err := readCSL()
	if err != nil {
		t.Logf("CSL pairs not checked: %v", err)
	}
	for i := range f.Pairs {
		p := &f.Pairs[i]
		if p.Group == "csl" && csl == nil {
			continue
		}
		p.predText, p.refText = assemble(t, p.Prediction, csl), assemble(t, p.Reference, csl)
		if shortSHA(p.predText) != p.PredictionSHA || shortSHA(p.refText) != p.ReferenceSHA {
			t.Fatalf("pair %d: rebuilt texts differ from the script's (is ../shared the same data?)", i)
		}
	}
	return &f, csl
}

func assemble(t *testing.T, ps []piece, csl []map[string]string) string {
	var b strings.Builder
	for _, p := range ps {
		if p.Text != nil {
			b.WriteString(*p.Text)
			continue
		}
		rs := []rune(csl[p.CSL][p.Field])
		if p.Span[1] > len(rs) {
			t.Fatalf("span %v of csl[%d].%s: text has %d characters", p.Span, p.CSL, p.Field, len(rs))
		}
		b.WriteString(string(rs[p.Span[0]:p.Span[1]]))
	}
	return b.String()
}

func shortSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:16]
}

// readCSL reads ../shared's CSL records from the repository root's sibling.
func readCSL() ([]map[string]string, error) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, errors.New("no go.mod above the test directory")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "..", "shared", "data", "csl-summarization", "csl.json"))
	if err != nil {
		return nil, err
	}
	var recs []map[string]string
	return recs, json.Unmarshal(b, &recs)
}

func TestROUGEFixture(t *testing.T) {
	f, csl := loadFixture(t)
	checked := 0
	for i, p := range f.Pairs {
		if p.Group == "csl" && csl == nil {
			continue
		}
		got := ScoreROUGE(Tokens(p.predText), Tokens(p.refText))
		if math.Abs(got.R1-p.Rouge1) > tol || math.Abs(got.R2-p.Rouge2) > tol || math.Abs(got.L-p.RougeL) > tol {
			t.Errorf("pair %d (%s) %q vs %q: ROUGE %+v, want {R1:%v R2:%v L:%v}", i, p.Kind, p.predText, p.refText, got, p.Rouge1, p.Rouge2, p.RougeL)
		}
		checked++
	}
	t.Logf("%d of %d pairs checked", checked, len(f.Pairs))
}

// TestCorpusFixture scores each fixture corpus as `gotrl eval summary`
// does (Summary over Tokens) against the script's mean ROUGE and
// sacrebleu's BLEU. csl-zh is sacrebleu with tokenize="zh" on raw text,
// restricted to Han-only pairs: there its tokens equal ours, while on other
// text it keeps punctuation as tokens and does not lowercase.
func TestCorpusFixture(t *testing.T) {
	f, csl := loadFixture(t)
	for _, c := range f.Corpora {
		t.Run(c.Name, func(t *testing.T) {
			if c.Group == "csl" && csl == nil {
				t.Skip("../shared is missing")
			}
			var s Summary
			for _, p := range f.Pairs {
				if p.Group == c.Group && (c.Tokenize != "zh" || p.CJKOnly) {
					s.Add(p.predText, p.refText)
				}
			}
			if len(s.Examples) != c.Pairs {
				t.Fatalf("%d pairs, want %d", len(s.Examples), c.Pairs)
			}
			checkBLEU(t, s.BLEU(), c.bleuFixture)
			if c.Rouge != nil {
				r := s.ROUGE()
				if math.Abs(r.R1-c.Rouge.Rouge1) > tol || math.Abs(r.R2-c.Rouge.Rouge2) > tol || math.Abs(r.L-c.Rouge.RougeL) > tol {
					t.Errorf("mean ROUGE %+v, want %+v", r, *c.Rouge)
				}
			}
		})
	}
}

func TestBLEUCases(t *testing.T) {
	f, _ := loadFixture(t)
	for _, c := range f.BLEUCases {
		t.Run(c.Name, func(t *testing.T) {
			var s BLEUStats
			for _, p := range c.Pairs {
				s.Add(Tokens(p[0]), Tokens(p[1]))
			}
			checkBLEU(t, s.Score(), c.bleuFixture)
		})
	}
}

func checkBLEU(t *testing.T, got BLEU, want bleuFixture) {
	t.Helper()
	for n := range bleuOrder {
		if got.Correct[n] != want.Counts[n] || got.Total[n] != want.Totals[n] {
			t.Errorf("%d-grams: %d of %d match, want %d of %d", n+1, got.Correct[n], got.Total[n], want.Counts[n], want.Totals[n])
		}
		if math.Abs(got.Precisions[n]-want.Precisions[n]) > tol {
			t.Errorf("p%d = %v, want %v", n+1, got.Precisions[n], want.Precisions[n])
		}
	}
	if got.SysLen != want.SysLen || got.RefLen != want.RefLen {
		t.Errorf("lengths %d/%d, want %d/%d", got.SysLen, got.RefLen, want.SysLen, want.RefLen)
	}
	if math.Abs(got.BP-want.BP) > tol || math.Abs(got.Score-want.Score) > tol {
		t.Errorf("BLEU %v (BP %v), want %v (BP %v)", got.Score, got.BP, want.Score, want.BP)
	}
}

// TestFixtureCatchesVariants shows the fixture would fail an implementation
// that computed a metric another common way.
func TestFixtureCatchesVariants(t *testing.T) {
	f, csl := loadFixture(t)
	group := "csl"
	if csl == nil {
		group = "hand"
	}
	words := func(s string) []string { return strings.Fields(strings.ToLower(s)) }
	wrong, total := 0, 0
	for _, p := range f.Pairs {
		if p.Group != group {
			continue
		}
		total++
		w := ScoreROUGE(words(p.predText), words(p.refText))
		if math.Abs(w.R1-p.Rouge1) > tol || math.Abs(w.L-p.RougeL) > tol {
			wrong++
		}
	}
	if wrong < total/2 {
		t.Errorf("word-level ROUGE matches the character-level fixture on %d of %d %s pairs", total-wrong, total, group)
	}

	for _, c := range f.Corpora {
		if c.Group != group || c.BP >= 0.99 {
			continue
		}
		var s Summary
		for _, p := range f.Pairs {
			if p.Group == c.Group && (c.Tokenize != "zh" || p.CJKOnly) {
				s.Add(p.predText, p.refText)
			}
		}
		b := s.BLEU()
		if noBP := b.Score / b.BP; math.Abs(noBP-c.Score) < 1 {
			t.Errorf("%s: BLEU without the brevity penalty (%v) is within 1 of sacrebleu's %v", c.Name, noBP, c.Score)
		}
	}

	for _, c := range f.BLEUCases {
		if c.Name != "no 4-gram match" {
			continue
		}
		// No 4-gram matches: without the exp smoothing p4 = 0 and BLEU
		// would be 0, which the fixture's score rules out.
		if c.Counts[3] != 0 || c.Score == 0 {
			t.Errorf("case %q no longer tells a smoothed BLEU from an unsmoothed one", c.Name)
		}
	}
}
