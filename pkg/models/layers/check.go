package layers

import (
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
)

// CheckIDs returns an error naming the first position of ids (int64, any
// shape) whose value lies outside [0, n); what names the input and the limit,
// e.g. "token_type_ids" and "type_vocab_size". Without it a bad id surfaces
// as libtorch's bare "index out of range in self".
func CheckIDs(ids *tensor.Tensor, what, limit string, n int64) error {
	vals, err := tensor.Int64s(ids)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	shape, err := ids.Size()
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	for i, v := range vals {
		if v >= 0 && v < n {
			continue
		}
		return fmt.Errorf("%s%s = %d: outside [0, %s %d)", what, position(i, shape), v, limit, n)
	}
	return nil
}

// position formats flat index i of shape as "[r][c]...".
func position(i int, shape []int64) string {
	idx := make([]int64, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = int64(i) % shape[d]
		i = int(int64(i) / shape[d])
	}
	s := ""
	for _, v := range idx {
		s += fmt.Sprintf("[%d]", v)
	}
	return s
}
