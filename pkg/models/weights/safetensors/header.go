package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
)

// MaxHeader bounds the JSON header, as the reference implementation does
// (100 MB), so a corrupt length cannot make us allocate gigabytes.
const MaxHeader = 100_000_000

const metadataKey = "__metadata__"

// rawInfo is one tensor entry of the JSON header.
type rawInfo struct {
	DType   DType   `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// ParseHeader decodes and validates a JSON header whose data section holds
// dataLen bytes. It returns the tensors sorted by name and the metadata.
// Errors name the offending tensor; callers add the file name.
func ParseHeader(header []byte, dataLen int64) ([]Info, map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, nil, fmt.Errorf("header is not a JSON object: %w", err)
	}
	var meta map[string]string
	if m, ok := raw[metadataKey]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, fmt.Errorf("%s is not a string map: %w", metadataKey, err)
		}
		delete(raw, metadataKey)
	}
	infos := make([]Info, 0, len(raw))
	for name, msg := range raw {
		info, err := parseInfo(name, msg)
		if err != nil {
			return nil, nil, err
		}
		infos = append(infos, info)
	}
	if err := checkLayout(infos, dataLen); err != nil {
		return nil, nil, err
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	return infos, meta, nil
}

func parseInfo(name string, msg json.RawMessage) (Info, error) {
	var r rawInfo
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Info{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	if r.Shape == nil {
		return Info{}, fmt.Errorf("tensor %q: no shape", name)
	}
	if len(r.Offsets) != 2 {
		return Info{}, fmt.Errorf("tensor %q: data_offsets has %d values, want 2", name, len(r.Offsets))
	}
	info := Info{Name: name, DType: r.DType, Shape: r.Shape, Begin: r.Offsets[0], End: r.Offsets[1]}
	want, err := dataSize(r.Shape, r.DType)
	if err != nil {
		return Info{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	if info.Begin < 0 || info.End < info.Begin {
		return Info{}, fmt.Errorf("tensor %q: bad data_offsets [%d, %d]", name, info.Begin, info.End)
	}
	if info.NumBytes() != want {
		return Info{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] hold %d bytes, %s %v needs %d",
			name, info.Begin, info.End, info.NumBytes(), r.DType, r.Shape, want)
	}
	return info, nil
}

// checkLayout requires the tensors to tile [0, dataLen) exactly, which rules
// out overlaps, gaps, offsets beyond the file and truncated files.
func checkLayout(infos []Info, dataLen int64) error {
	byBegin := append([]Info(nil), infos...)
	sort.Slice(byBegin, func(i, j int) bool {
		a, b := byBegin[i], byBegin[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.End < b.End
	})
	var end int64
	prev := ""
	for _, in := range byBegin {
		switch {
		case in.Begin < end:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q (ends at %d)", in.Name, in.Begin, in.End, prev, end)
		case in.Begin > end:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap after byte %d", in.Name, in.Begin, in.End, end)
		case in.End > dataLen:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the data section (%d bytes): file truncated?", in.Name, in.Begin, in.End, dataLen)
		}
		end, prev = in.End, in.Name
	}
	if end != dataLen {
		return fmt.Errorf("data section has %d bytes but the tensors cover %d", dataLen, end)
	}
	return nil
}

// EncodeHeader lays the tensors out in name order and returns the header
// bytes (length prefix included, JSON padded with spaces to a multiple of 8
// so the data section stays aligned, as the Python writer does) and the
// infos with their offsets. The caller writes the data in the returned order.
func EncodeHeader(tensors []Info, meta map[string]string) ([]byte, []Info, error) {
	out := append([]Info(nil), tensors...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	entries := make(map[string]any, len(out)+1)
	if meta != nil {
		entries[metadataKey] = meta
	}
	var off int64
	for i := range out {
		in := &out[i]
		if in.Name == metadataKey || in.Name == "" {
			return nil, nil, fmt.Errorf("tensor name %q is reserved", in.Name)
		}
		if _, dup := entries[in.Name]; dup {
			return nil, nil, fmt.Errorf("tensor %q appears twice", in.Name)
		}
		n, err := dataSize(in.Shape, in.DType)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", in.Name, err)
		}
		shape := in.Shape
		if shape == nil {
			shape = []int64{} // a scalar: "shape": [], never null
		}
		in.Begin, in.End = off, off+n
		entries[in.Name] = rawInfo{DType: in.DType, Shape: shape, Offsets: []int64{in.Begin, in.End}}
		off += n
	}
	js, err := json.Marshal(entries) // map keys come out sorted
	if err != nil {
		return nil, nil, err
	}
	pad := (8 - len(js)%8) % 8
	head := make([]byte, 8, 8+len(js)+pad)
	binary.LittleEndian.PutUint64(head, uint64(len(js)+pad))
	head = append(head, js...)
	head = append(head, bytes.Repeat([]byte{' '}, pad)...)
	return head, out, nil
}
