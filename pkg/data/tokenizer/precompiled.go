package tokenizer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// precompiled is HF's Precompiled normalizer (normalizers/precompiled.rs over
// the spm_precompiled crate): SentencePiece's normalization rules as the
// model file stores them (precompiled_charsmap, base64 in tokenizer.json).
// The charsmap is a little-endian u32 trie size, that many bytes of a Darts
// double-array trie over UTF-8 bytes, then the normalized strings, each
// ending in a NUL; a trie value is the offset of one of those strings.
type precompiled struct {
	trie       []uint32
	normalized []byte
}

func newPrecompiled(charsmap []byte) (*precompiled, error) {
	if len(charsmap) < 4 {
		return nil, errors.New("precompiled_charsmap: shorter than its 4-byte header")
	}
	size := binary.LittleEndian.Uint32(charsmap)
	if size%4 != 0 || uint64(size) > uint64(len(charsmap)-4) || size == 0 {
		return nil, fmt.Errorf("precompiled_charsmap: trie size %d does not fit the %d bytes after the header", size, len(charsmap)-4)
	}
	p := &precompiled{trie: make([]uint32, size/4), normalized: charsmap[4+size:]}
	for i := range p.trie {
		p.trie[i] = binary.LittleEndian.Uint32(charsmap[4+4*i:])
	}
	if !utf8.Valid(p.normalized) {
		return nil, errors.New("precompiled_charsmap: normalized strings are not valid UTF-8")
	}
	return p, nil
}

// Darts-clone unit fields.
func dartsHasLeaf(u uint32) bool  { return (u>>8)&1 == 1 }
func dartsValue(u uint32) uint32  { return u & (1<<31 - 1) }
func dartsLabel(u uint32) uint32  { return u & (1<<31 | 0xFF) }
func dartsOffset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }

// firstMatch is the value of the shortest key that is a prefix of key, as
// spm_precompiled's transform uses results[0] of common_prefix_search (a NUL
// byte ends the key). A unit outside the array ends the search, where the
// crate would index out of bounds.
func (p *precompiled) firstMatch(key string) (uint32, bool) {
	pos := dartsOffset(p.trie[0])
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == 0 {
			break
		}
		pos ^= uint32(c)
		if int(pos) >= len(p.trie) {
			return 0, false
		}
		u := p.trie[pos]
		if dartsLabel(u) != uint32(c) {
			return 0, false
		}
		pos ^= dartsOffset(u)
		if dartsHasLeaf(u) {
			if int(pos) >= len(p.trie) {
				return 0, false
			}
			return dartsValue(p.trie[pos]), true
		}
	}
	return 0, false
}

// transform is spm_precompiled's Precompiled::transform: the normalized
// string of the shortest rule matching the start of chunk.
func (p *precompiled) transform(chunk string) (string, bool) {
	v, ok := p.firstMatch(chunk)
	if !ok || int(v) > len(p.normalized) {
		return "", false
	}
	end := int(v)
	for end < len(p.normalized) && p.normalized[end] != 0 {
		end++
	}
	return string(p.normalized[v:end]), true
}

// normalize mirrors Precompiled::normalize: an extended grapheme cluster
// shorter than 6 bytes that a rule matches is replaced whole; otherwise each
// of its characters is looked up on its own. (The rule is matched on the
// cluster's prefix, so what follows the match inside the cluster is dropped,
// as in HF.) Changes are counted per replaced part as HF's replace() does.
func (p *precompiled) normalize(t normText) normText {
	s := string(t.runes)
	changes := make([]change, 0, len(t.runes))
	modified := false
	replace := func(oldPart string, newPart string) {
		modified = true
		diff := utf8.RuneCountInString(newPart) - utf8.RuneCountInString(oldPart)
		for _, r := range newPart {
			changes = append(changes, change{r, 0})
		}
		switch {
		case diff > 0:
			for k := len(changes) - diff; k < len(changes); k++ {
				changes[k].n = 1
			}
		case diff < 0 && len(changes) > 0:
			changes[len(changes)-1].n += diff
		}
	}
	state := -1
	for rest := s; rest != ""; {
		var g string
		g, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if len(g) < 6 {
			if norm, ok := p.transform(g); ok {
				replace(g, norm)
				continue
			}
			if r, size := utf8.DecodeRuneInString(g); size == len(g) {
				changes = append(changes, change{r, 0}) // the per-character lookup would be the same
				continue
			}
		}
		for _, r := range g {
			part := string(r)
			if norm, ok := p.transform(part); ok {
				replace(part, norm)
			} else {
				changes = append(changes, change{r, 0})
			}
		}
	}
	if !modified {
		return t
	}
	return t.transform(changes, 0)
}
