package generate

// Temperature is HF's TemperatureLogitsWarper: scores / t.
func Temperature(t float64) Processor {
	tf := float32(t)
	return func(scores []float32, _ []int64, _ int) {
		for i := range scores {
			scores[i] /= tf
		}
	}
}
