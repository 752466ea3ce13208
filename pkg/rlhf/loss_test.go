package rlhf

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

func logSigmoid(x float64) float64 { return -math.Log1p(math.Exp(-x)) }

// TestPairwiseLoss compares with −log σ(r_c − r_r − margin) computed by
// hand and, with center_rewards_coefficient, with TRL 0.11.4's
// RewardTrainer.compute_loss (loss + coef·mean((r_c + r_r)²)) computed in
// torch 2.1.0.
func TestPairwiseLoss(t *testing.T) {
	tests := []struct {
		name     string
		c, r     []float32
		margin   float64
		center   float64
		wantLoss float64
		wantAcc  float64
	}{
		{"no margin", []float32{2, 0, 1}, []float32{0, 0, 3}, 0, 0, -(logSigmoid(2) + logSigmoid(0) + logSigmoid(-2)) / 3, 1.0 / 3},
		{"margin", []float32{2, 0}, []float32{1, 0}, 1, 0, -(logSigmoid(0) + logSigmoid(-1)) / 2, 0.5},
		{"center", []float32{2, 0, 1}, []float32{0, 0, 3}, 0, 0.01, 1.0490010976791382, 1.0 / 3},
		{"margin_center", []float32{2, 0}, []float32{1, 0}, 1, 0.5, 3.253204345703125, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tensor.Catch(func() {
				s := tensor.NewScope()
				defer s.Close()
				c := s.T(tensor.FromFloat32s(tt.c, []int64{int64(len(tt.c))}, gotch.CPU))
				r := s.T(tensor.FromFloat32s(tt.r, []int64{int64(len(tt.r))}, gotch.CPU))
				loss, acc := pairwiseLoss(c, r, tt.margin, tt.center)
				s.Add(loss)
				v, err := tensor.Item(loss)
				tensor.Check(err)
				if math.Abs(v-tt.wantLoss) > 1e-6 || math.Abs(acc-tt.wantAcc) > 1e-6 {
					t.Errorf("loss %v accuracy %v, want %v %v", v, acc, tt.wantLoss, tt.wantAcc)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTokenLossIgnoresPadding: positions labelled -100 count neither in the
// loss nor in the accuracy; the loss is a hand log-softmax over the others.
func TestTokenLossIgnoresPadding(t *testing.T) {
	logits := []float32{ // [1, 3, 3]
		2, 0, 0, // label 0: right
		0, 1, 3, // label 1: wrong
		9, 0, 0, // label -100: would be right, ignored
	}
	labels := []int64{0, 1, -100}
	nll := func(row []float64, y int) float64 {
		var z float64
		for _, v := range row {
			z += math.Exp(v)
		}
		return math.Log(z) - row[y]
	}
	want := (nll([]float64{2, 0, 0}, 0) + nll([]float64{0, 1, 3}, 1)) / 2
	err := tensor.Catch(func() {
		s := tensor.NewScope()
		defer s.Close()
		lg := s.T(tensor.FromFloat32s(logits, []int64{1, 3, 3}, gotch.CPU))
		lb := s.T(tensor.FromInt64s(labels, []int64{1, 3}, gotch.CPU))
		loss, correct, count := tokenLoss(lg, lb)
		s.Add(loss)
		v, err := tensor.Item(loss)
		tensor.Check(err)
		if math.Abs(v-want) > 1e-6 || correct != 1 || count != 2 {
			t.Errorf("loss %v correct %v count %v, want %v 1 2", v, correct, count, want)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
