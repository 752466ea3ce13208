package run

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gotrl/gotrl/pkg/data"
)

func TestFewShot(t *testing.T) {
	var xs []data.Labeled
	for i := range 30 {
		xs = append(xs, data.Labeled{Text: string(rune('a' + i%26)), Label: i % 3})
	}
	a, err := FewShot(xs, 4, 9)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := FewShot(xs, 4, 9)
	c, _ := FewShot(xs, 4, 10)
	count := map[int]int{}
	same, differs := true, false
	for i := range a {
		count[a[i].Label]++
		same = same && a[i] == b[i]
		differs = differs || a[i] != c[i]
	}
	if count[0] != 4 || count[1] != 4 || count[2] != 4 {
		t.Errorf("per-label counts %v, want 4 each", count)
	}
	if !same || !differs {
		t.Errorf("same seed equal: %v; other seed differs: %v", same, differs)
	}
	if _, err := FewShot(xs, 11, 1); err == nil {
		t.Error("k larger than a label's examples: no error")
	}
}

// TestReadLabeledChnSentiCorp checks that the train and test sides of the
// experiment's split are disjoint and complete.
func TestReadLabeledChnSentiCorp(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "shared", "data", "chnsenticorp", "ChnSentiCorp_htl_all.csv")
	if _, err := os.Stat(path); err != nil {
		t.Skip("../shared is not available")
	}
	all, err := ReadLabeled(path, 500, 1, All)
	if err != nil {
		t.Fatal(err)
	}
	train, _ := ReadLabeled(path, 500, 1, Train)
	test, _ := ReadLabeled(path, 500, 1, Test)
	if len(test) != 500 || len(train)+len(test) != len(all) {
		t.Fatalf("train %d + test %d, all %d", len(train), len(test), len(all))
	}
	inTrain := map[string]bool{}
	for _, x := range train {
		inTrain[x.Text] = true
	}
	leaked := 0
	for _, x := range test {
		if inTrain[x.Text] {
			leaked++ // the file has a few duplicate reviews; they may fall on both sides
		}
	}
	if leaked > 5 {
		t.Errorf("%d test reviews also on the train side", leaked)
	}
}
