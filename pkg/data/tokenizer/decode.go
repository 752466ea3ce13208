package tokenizer

import (
	"strings"
	"unicode/utf8"

	"github.com/sugarme/tokenizer/pretokenizer"
)

// decoder turns tokens back into text, as HF's tokenizers decoders do.
type decoder interface {
	decode(tokens []string) string
}

// wordPieceDecoder mirrors tokenizers/src/decoders/wordpiece.rs: a token
// after the first gets a space unless it continues a word ("##"), and with
// cleanup each token has the spaces before punctuation taken out.
// (sugarme's DefaultWordpieceDecoder panics on Decode, hence this one.)
type wordPieceDecoder struct {
	prefix  string
	cleanup bool
}

func (d wordPieceDecoder) decode(tokens []string) string {
	var b strings.Builder
	for i, tok := range tokens {
		if i > 0 {
			if rest, ok := strings.CutPrefix(tok, d.prefix); ok {
				tok = rest
			} else {
				tok = " " + tok
			}
		}
		if d.cleanup {
			tok = cleanupSpaces(tok, false)
		}
		b.WriteString(tok)
	}
	return b.String()
}

// cleanupSpaces is HF's cleanup: the Rust decoders' version (with " do not" →
// " don't") or transformers' clean_up_tokenization (without it).
func cleanupSpaces(s string, transformers bool) string {
	for _, r := range cleanupPairs {
		if r[0] == " do not" && transformers {
			continue
		}
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

var cleanupPairs = [][2]string{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
	{" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
}

// byteLevelDecoder mirrors tokenizers/src/pre_tokenizers/byte_level.rs:
// tokens map back from GPT-2's byte alphabet to bytes (a token with a rune
// outside it keeps its own bytes) and the bytes are read as UTF-8, invalid
// sequences becoming U+FFFD as Rust's String::from_utf8_lossy does.
type byteLevelDecoder struct{}

func (byteLevelDecoder) decode(tokens []string) string {
	var raw []byte
	for _, tok := range tokens {
		raw = append(raw, unByteLevel(tok)...)
	}
	return lossyUTF8(raw)
}

func unByteLevel(tok string) []byte {
	out := make([]byte, 0, len(tok))
	for _, r := range tok {
		b, ok := pretokenizer.CharBytes[string(r)]
		if !ok {
			return []byte(tok)
		}
		out = append(out, b)
	}
	return out
}

// lossyUTF8 replaces each maximal invalid subpart with one U+FFFD, the
// Unicode-recommended practice that Rust's from_utf8_lossy follows. Go's
// strings.ToValidUTF8 would instead merge a run of invalid bytes.
func lossyUTF8(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			s.Write(b[:n])
			b = b[n:]
			continue
		}
		s.WriteRune(utf8.RuneError)
		b = b[maximalSubpart(b):]
	}
	return s.String()
}

// maximalSubpart is the length (≥ 1) of the longest prefix of b that starts
// a well-formed UTF-8 sequence but does not complete it (Unicode 3.9, D93b).
func maximalSubpart(b []byte) int {
	lead := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF) // allowed range of the second byte
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead >= 0xE0 && lead <= 0xEF:
		need = 2
		if lead == 0xE0 {
			lo = 0xA0
		} else if lead == 0xED {
			hi = 0x9F
		}
	case lead >= 0xF0 && lead <= 0xF4:
		need = 3
		if lead == 0xF0 {
			lo = 0x90
		} else if lead == 0xF4 {
			hi = 0x8F
		}
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		c := b[n]
		if n == 1 && (c < lo || c > hi) || n > 1 && (c < 0x80 || c > 0xBF) {
			break
		}
	}
	return n
}
