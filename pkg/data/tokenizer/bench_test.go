package tokenizer

import (
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkTokenizeShared encodes every text of the four shared data sets
// (CSL content and title, fault-IE text, CMRC context and question,
// ChnSentiCorp review) once per iteration on one goroutine and reports
// texts/s. HF's speed on the same texts, measured by the fixture scripts, is
// in testdata/throughput.json (BERT, GPT-2) and
// testdata/unigram_throughput.json (the T5 and SentencePieceUnigramTokenizer
// Unigram fixtures):
//
//	go test -run '^$' -bench TokenizeShared -benchtime 1x ./pkg/data/tokenizer/
func BenchmarkTokenizeShared(b *testing.B) {
	var texts []string
	for _, ts := range sharedTexts(b) {
		texts = append(texts, ts...)
	}
	var hf struct {
		Bert float64 `json:"bert_texts_per_sec"`
		GPT2 float64 `json:"gpt2_texts_per_sec"`
		T5   float64 `json:"t5_texts_per_sec"`
		HF   float64 `json:"hf_texts_per_sec"`
	}
	for _, file := range []string{"testdata/throughput.json", "testdata/unigram_throughput.json"} {
		data, err := os.ReadFile(file)
		if err == nil {
			err = json.Unmarshal(data, &hf)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	unigram := func(dir string) func(testing.TB) *Pipeline {
		return func(tb testing.TB) *Pipeline { return loadUnigram(tb, dir) }
	}
	for _, tt := range []struct {
		name string
		tok  func(testing.TB) *Pipeline
		hf   float64
	}{{"bert", sharedBert, hf.Bert}, {"gpt2", sharedGPT2, hf.GPT2}, {"unigram_t5", unigram("unigram_t5"), hf.T5}, {"unigram_hf", unigram("unigram_hf"), hf.HF}} {
		b.Run(tt.name, func(b *testing.B) {
			tok := tt.tok(b)
			b.ResetTimer()
			for b.Loop() {
				for _, text := range texts {
					if _, err := tok.Encode(text, true); err != nil {
						b.Fatal(err)
					}
				}
			}
			perSec := float64(len(texts)*b.N) / b.Elapsed().Seconds()
			b.ReportMetric(perSec, "texts/s")
			b.ReportMetric(tt.hf, "hf-texts/s")
		})
	}
}
