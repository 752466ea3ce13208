package train

import (
	"fmt"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

// BF16Mode chooses bfloat16 autocast for training (HF TrainingArguments'
// bf16, with an automatic default): "auto", "true" or "false".
type BF16Mode string

const (
	// BF16Auto turns autocast on where bf16 matmuls run in hardware: CPUs
	// with AMX or AVX-512-BF16. Elsewhere libtorch emulates them and a
	// step is ~15× slower than fp32, so it stays off; on CUDA it stays off
	// too (use true on a GPU with bf16).
	BF16Auto BF16Mode = "auto"
	BF16On   BF16Mode = "true"
	BF16Off  BF16Mode = "false"
)

// Validate reports a value other than auto, true or false.
func (m BF16Mode) Validate() error {
	switch m {
	case BF16Auto, BF16On, BF16Off:
		return nil
	}
	return fmt.Errorf("bf16 %q: want auto, true or false", string(m))
}

// Resolve decides whether autocast runs on dev and says why, for the line
// a run prints at start ("bf16: off (CPU lacks AMX/AVX-512-BF16)").
func (m BF16Mode) Resolve(dev gotch.Device) (on bool, why string) {
	switch {
	case m == BF16On:
		return true, "on (--bf16 true)"
	case m == BF16Off:
		return false, "off (--bf16 false)"
	case dev.IsCuda():
		return false, "off (auto decides on CPUs only; --bf16 true turns it on)"
	}
	f, off := tensor.CPUBF16()
	if f == "" {
		return false, "off (" + off + ")"
	}
	return true, "on (CPU has " + f + ")"
}

// String, Set and Type make a BF16Mode a command-line flag; --bf16 alone
// means true.
func (m *BF16Mode) String() string { return string(*m) }
func (m *BF16Mode) Type() string   { return "auto|true|false" }

func (m *BF16Mode) Set(s string) error {
	v := BF16Mode(s)
	if err := v.Validate(); err != nil {
		return err
	}
	*m = v
	return nil
}
