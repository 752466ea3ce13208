package train

import (
	"math"
	"testing"
)

// TestScheduleFactor checks values worked out by hand from transformers'
// get_{constant,linear,cosine}_schedule_with_warmup lambdas.
func TestScheduleFactor(t *testing.T) {
	tests := []struct {
		name  string
		s     Schedule
		steps []int
		want  []float64
	}{
		{"constant", Schedule{Kind: Constant, Warmup: 10, Total: 100}, []int{0, 5, 99}, []float64{1, 1, 1}},
		{"constant with warmup", Schedule{Kind: ConstantWithWarmup, Warmup: 10, Total: 100}, []int{0, 5, 10, 99}, []float64{0, 0.5, 1, 1}},
		{"linear", Schedule{Kind: Linear, Warmup: 10, Total: 110}, []int{0, 5, 10, 60, 85, 110, 120}, []float64{0, 0.5, 1, 0.5, 0.25, 0, 0}},
		{"linear no warmup", Schedule{Kind: Linear, Total: 4}, []int{0, 1, 3}, []float64{1, 0.75, 0.25}},
		{"cosine", Schedule{Kind: Cosine, Warmup: 10, Total: 110}, []int{5, 10, 35, 60, 85, 110}, []float64{0.5, 1, (1 + math.Sqrt2/2) / 2, 0.5, (1 - math.Sqrt2/2) / 2, 0}},
		// warmup_ratio: TrainingArguments.get_warmup_steps(110) with
		// warmup_ratio 0.09 is ceil(9.9) = 10, and the linear lambda then
		// gives 0, 0.5, 1, 0.5 (transformers 4.46.3).
		{"linear warmup_ratio", Schedule{Kind: Linear, Ratio: 0.09, Total: 110}, []int{0, 5, 10, 60}, []float64{0, 0.5, 1, 0.5}},
		// warmup_steps > 0 wins over warmup_ratio (get_warmup_steps → 4).
		{"warmup_steps over ratio", Schedule{Kind: ConstantWithWarmup, Warmup: 4, Ratio: 0.5, Total: 100}, []int{2, 4, 40}, []float64{0.5, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); err != nil {
				t.Fatal(err)
			}
			for i, step := range tt.steps {
				if got := tt.s.Factor(step); math.Abs(got-tt.want[i]) > 1e-12 {
					t.Errorf("Factor(%d) = %v, want %v", step, got, tt.want[i])
				}
			}
		})
	}
}

func TestScheduleValidate(t *testing.T) {
	for _, s := range []Schedule{{Kind: "exponential"}, {Kind: Linear, Warmup: -1}, {Kind: Linear, Ratio: 1.5}} {
		if err := s.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", s)
		}
	}
}
