package tokenizer

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// sharedDir is ../shared beside the repository root; tests that need it skip without it.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := findShared()
	if err != nil {
		t.Skip(err)
	}
	return dir
}

func findShared() (string, error) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return "", err
	}
	for !exists(filepath.Join(dir, "go.mod")) {
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test directory")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if !exists(shared) {
		return "", fmt.Errorf("%s is missing", shared)
	}
	return shared, nil
}

func sharedBert(t testing.TB) *Pipeline {
	t.Helper()
	tok, err := NewBert(filepath.Join(sharedDir(t), "vocab", "bert-base-chinese-vocab.txt"), DefaultBertOptions())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sharedGPT2 goes through Load, which finds encoder.json + vocab.bpe.
func sharedGPT2(t testing.TB) *Pipeline {
	t.Helper()
	tok, err := Load(filepath.Join(sharedDir(t), "vocab", "gpt2"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// textKey names one text field of a shared data set.
type textKey struct{ dataset, field string }

var (
	sharedOnce  sync.Once
	sharedCache map[textKey][]string
	sharedErr   error
)

// sharedTexts reads every text field of the four data sets in record order;
// the numbering is load_shared's in scripts/fixtures/tokenizer_parity.py.
func sharedTexts(t testing.TB) map[textKey][]string {
	t.Helper()
	root := filepath.Join(sharedDir(t), "data")
	sharedOnce.Do(func() { sharedCache, sharedErr = readSharedTexts(root) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedCache
}

func readSharedTexts(root string) (map[textKey][]string, error) {
	out := map[textKey][]string{}
	var csl []struct{ Content, Title string }
	if err := readJSON(filepath.Join(root, "csl-summarization", "csl.json"), &csl); err != nil {
		return nil, err
	}
	for _, r := range csl {
		out[textKey{"csl", "content"}] = append(out[textKey{"csl", "content"}], r.Content)
		out[textKey{"csl", "title"}] = append(out[textKey{"csl", "title"}], r.Title)
	}
	data, err := os.ReadFile(filepath.Join(root, "fault-ie", "ori_data.jsonl"))
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r struct{ Text string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, err
		}
		out[textKey{"fault-ie", "text"}] = append(out[textKey{"fault-ie", "text"}], r.Text)
	}
	var cmrc struct {
		Data []struct {
			Paragraphs []struct {
				Context string
				Qas     []struct{ Question string }
			}
		}
	}
	if err := readJSON(filepath.Join(root, "cmrc2018", "cmrc_dev.json"), &cmrc); err != nil {
		return nil, err
	}
	for _, a := range cmrc.Data {
		for _, p := range a.Paragraphs {
			out[textKey{"cmrc2018", "context"}] = append(out[textKey{"cmrc2018", "context"}], p.Context)
			for _, q := range p.Qas {
				out[textKey{"cmrc2018", "question"}] = append(out[textKey{"cmrc2018", "question"}], q.Question)
			}
		}
	}
	f, err := os.Open(filepath.Join(root, "chnsenticorp", "ChnSentiCorp_htl_all.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	for _, row := range rows[1:] { // header: label,review
		out[textKey{"chnsenticorp", "review"}] = append(out[textKey{"chnsenticorp", "review"}], row[1])
	}
	return out, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
