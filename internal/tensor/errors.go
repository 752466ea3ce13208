package tensor

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a libtorch failure raised inside forward or step code. It travels
// as a panic up to the nearest Recover.
type Error struct {
	Op  string // what gotrl was doing, when known
	Err error
}

func (e *Error) Error() string {
	if e.Op == "" {
		return e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Check panics with *Error when err is non-nil. Use it in forward code only;
// exported functions must defer Recover.
func Check(err error) {
	if err != nil {
		panic(&Error{Err: clean(err)})
	}
}

// Checkf is Check with context, formatted only on failure.
func Checkf(err error, format string, args ...any) {
	if err != nil {
		panic(&Error{Op: fmt.Sprintf(format, args...), Err: clean(err)})
	}
}

// Recover turns a panic carrying *Error into *errp. Other panics go on, since
// they are bugs, not bad input. Use as: defer tensor.Recover(&err).
func Recover(errp *error) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(*Error); ok {
		if *errp == nil {
			*errp = e
		}
		return
	}
	panic(r)
}

// Catch runs fn and returns its *Error panic, if any, as an error.
func Catch(fn func()) (err error) {
	defer Recover(&err)
	fn()
	return nil
}

// clean keeps the first line of a libtorch message: the rest is a C++
// backtrace ("Exception raised from ... frame #0 ...") no user needs.
func clean(err error) error {
	msg := err.Error()
	i := strings.Index(msg, "\nException raised from")
	if i < 0 {
		i = strings.Index(msg, "\nframe #0")
	}
	if i < 0 {
		return err
	}
	return errors.New(strings.TrimRight(msg[:i], " \n"))
}
