package tokenizer

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// chainDecoder is a decoder as HF composes them (Decoder::decode_chain):
// tokens in, tokens out; the last stage's tokens are concatenated.
type chainDecoder interface {
	decodeChain(tokens []string) []string
}

// decoderChain is HF's decoders.Sequence, and the wrapper of a single chain
// decoder.
type decoderChain []chainDecoder

func (c decoderChain) decode(tokens []string) string {
	for _, d := range c {
		tokens = d.decodeChain(tokens)
	}
	return strings.Join(tokens, "")
}

// byteFallbackDecoder is HF's ByteFallback decoder: runs of <0xNN> tokens
// become the UTF-8 text they spell, or one U+FFFD per byte when they are not
// valid UTF-8.
type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decodeChain(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			for range pending {
				out = append(out, "\uFFFD")
			}
		}
		pending = pending[:0]
	}
	for _, tok := range tokens {
		if b, ok := byteToken(tok); ok {
			pending = append(pending, b)
			continue
		}
		flush()
		out = append(out, tok)
	}
	flush()
	return out
}

// byteToken parses "<0xNN>" as HF does: six bytes, two hex digits (Rust's
// from_str_radix, which also takes a leading '+').
func byteToken(tok string) (byte, bool) {
	if len(tok) != 6 || !strings.HasPrefix(tok, "<0x") || tok[5] != '>' {
		return 0, false
	}
	hex := strings.TrimPrefix(tok[3:5], "+")
	v, err := strconv.ParseUint(hex, 16, 8)
	return byte(v), err == nil
}

// fuseDecoder is HF's Fuse decoder: all tokens become one.
type fuseDecoder struct{}

func (fuseDecoder) decodeChain(tokens []string) []string {
	return []string{strings.Join(tokens, "")}
}

// stripDecoder is HF's Strip decoder: up to start leading and stop trailing
// copies of content are cut from every token.
type stripDecoder struct {
	content     rune
	start, stop int
}

func (d stripDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, tok := range tokens {
		rs := []rune(tok)
		from := 0
		for from < d.start && from < len(rs) && rs[from] == d.content {
			from++
		}
		to := len(rs)
		for k := 0; k < d.stop && to > from && rs[to-1] == d.content; k++ {
			to--
		}
		out[i] = string(rs[from:to])
	}
	return out
}

// replaceDecoder is HF's Replace decoder: the pattern is replaced in every token.
type replaceDecoder struct {
	pattern replacePattern
	content string
}

func (d replaceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, tok := range tokens {
		out[i] = d.pattern.replaceAll(tok, d.content)
	}
	return out
}
