package train

import (
	"fmt"
	"io"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/dist"
)

// Env is what a run takes from the command line besides its config.
type Env struct {
	Device    gotch.Device
	Resume    bool // continue the output directory from its newest checkpoint
	Overwrite bool // delete a non-empty output directory first
	Progress  io.Writer
	Log       io.Writer // data statistics and generation samples; nil discards
	// Dist is the data-parallel job this process belongs to (nil: none).
	// Rank 0 writes the run directory; every rank reads it on --resume.
	Dist *dist.Group
}

// Logf writes to Log, if any.
func (e Env) Logf(format string, args ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, format, args...)
	}
}
