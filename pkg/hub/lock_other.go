//go:build !unix

package hub

import "context"

// lockFile is a no-op where flock does not exist; downloads there are
// still atomic (a rename), only not coordinated between processes.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
