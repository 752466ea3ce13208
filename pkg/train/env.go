package train

import (
	"fmt"
	"io"

	"github.com/sugarme/gotch"
)

// Env is what a run takes from the command line besides its config.
type Env struct {
	Device    gotch.Device
	Resume    bool // continue the output directory from its newest checkpoint
	Overwrite bool // delete a non-empty output directory first
	Progress  io.Writer
	Log       io.Writer // data statistics and generation samples; nil discards
}

// Logf writes to Log, if any.
func (e Env) Logf(format string, args ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, format, args...)
	}
}
