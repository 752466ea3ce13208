package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// BenchmarkTrainShared trains with the class defaults (vocab 30000) on
// every text of the four shared data sets (13,831 texts, 4.9 MB), with one
// goroutine splitting texts and with two; the merges run on one. It reports
// wall and process CPU seconds per training beside HF's, measured by
// `make_tokenizer_train.py --bench` (testdata/train/throughput.json):
//
//	go test -run '^$' -bench TrainShared -benchtime 1x ./pkg/data/tokenizer/
func BenchmarkTrainShared(b *testing.B) {
	var texts []string
	size := 0
	for _, ts := range sharedTexts(b) {
		texts = append(texts, ts...)
		for _, t := range ts {
			size += len(t)
		}
	}
	var hf map[string]json.RawMessage
	data, err := os.ReadFile("testdata/train/throughput.json")
	if err == nil {
		err = json.Unmarshal(data, &hf)
	}
	if err != nil {
		b.Logf("no HF figures: %v", err)
	}
	train := map[Kind]func(workers int) (*Trained, error){
		KindWordPiece: func(w int) (*Trained, error) {
			o := DefaultWordPieceOptions()
			o.Workers = w
			return TrainWordPiece(Texts(texts), o)
		},
		KindBPE: func(w int) (*Trained, error) {
			o := DefaultBPEOptions()
			o.Workers = w
			return TrainBPE(Texts(texts), o)
		},
	}
	for _, kind := range []Kind{KindWordPiece, KindBPE} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", kind, workers), func(b *testing.B) {
				var hfRun struct{ Wall, CPU float64 }
				if raw, ok := hf[fmt.Sprintf("%s_threads_%s", kind, map[int]string{1: "1", 2: "default"}[workers])]; ok {
					if err := json.Unmarshal(raw, &hfRun); err != nil {
						b.Fatal(err)
					}
				}
				cpu0 := cpuTime()
				for b.Loop() {
					if _, err := train[kind](workers); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/train")
				b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/train")
				b.ReportMetric(float64(size*b.N)/1e6/b.Elapsed().Seconds(), "MB/s")
				if hfRun.Wall > 0 {
					b.ReportMetric(hfRun.Wall, "hf-s/train")
					b.ReportMetric(hfRun.CPU, "hf-cpu-s/train")
				}
			})
		}
	}
}

// cpuTime is the process's user + system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
