package tensor

import "testing"

// TestCPUName: the first processor's model name with its family and model
// numbers; a block without them gives the name alone, no name nothing.
func TestCPUName(t *testing.T) {
	for _, c := range []struct{ name, cpuinfo, want string }{
		{"amd", "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\nflags\t\t: fpu\n\nprocessor\t: 1\ncpu family\t: 99\nmodel\t\t: 9\nmodel name\t: other\n",
			"AMD EPYC (family 26, model 2)"},
		{"intel", "processor\t: 0\ncpu family\t: 6\nmodel\t\t: 106\nmodel name\t: Intel(R) Xeon(R) Processor @ 2.80GHz\n",
			"Intel(R) Xeon(R) Processor @ 2.80GHz (family 6, model 106)"},
		{"leading blank line", "\nprocessor\t: 0\nmodel name\t: ARMv8\n", "ARMv8"},
		{"no model name", "processor\t: 0\nBogoMIPS\t: 50.00\n", ""},
	} {
		if got := cpuName(c.cpuinfo); got != c.want {
			t.Errorf("%s: cpuName = %q, want %q", c.name, got, c.want)
		}
	}
}
