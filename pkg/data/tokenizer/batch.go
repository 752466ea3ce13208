package tokenizer

import "fmt"

// EncodeBatch encodes texts one after another. It never stops early: errs[i]
// is nil or the error of texts[i] (a panic inside the tokenizer becomes that
// text's error too), and encs[i] is empty where errs[i] is set. It replaces
// sugarme/tokenizer's EncodeBatch, which starts a goroutine per text and
// exits the process on the first error.
func EncodeBatch(t Tokenizer, texts []string, addSpecial bool) (encs []Encoding, errs []error) {
	encs = make([]Encoding, len(texts))
	errs = make([]error, len(texts))
	for i, text := range texts {
		encs[i], errs[i] = encodeSafely(t, text, addSpecial)
		if errs[i] != nil {
			errs[i] = fmt.Errorf("text %d: %w", i, errs[i])
		}
	}
	return encs, errs
}

func encodeSafely(t Tokenizer, text string, addSpecial bool) (enc Encoding, err error) {
	defer func() {
		if r := recover(); r != nil {
			enc, err = Encoding{}, fmt.Errorf("tokenizer panicked: %v", r)
		}
	}()
	return t.Encode(text, addSpecial)
}
