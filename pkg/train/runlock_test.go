//go:build unix

package train

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lockHelperEnv names the directory a helper process locks and holds.
const lockHelperEnv = "GOTRL_LOCK_HELPER_DIR"

// TestLockHelperProcess is not a test: re-executed by TestLockRunDir, it
// locks $GOTRL_LOCK_HELPER_DIR and sleeps until killed.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv(lockHelperEnv)
	if dir == "" {
		t.Skip("helper process for TestLockRunDir")
	}
	if _, err := LockRunDir(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	os.Exit(0)
}

// TestLockRunDir: a second writer of a locked run directory is refused
// with the holder's PID, within one process too; the lock is free again
// after unlock and after the holder dies by SIGKILL (no stale lock).
func TestLockRunDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	unlock, err := LockRunDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockRunDir(dir); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
		t.Fatalf("second lock in one process: %v, want an error naming pid %d", err, os.Getpid())
	}
	unlock()

	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked" {
		t.Fatalf("helper: %q, %v", buf, err)
	}
	_, err = LockRunDir(dir)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("process %d", cmd.Process.Pid)) {
		t.Errorf("lock held by a helper: %v, want an error naming pid %d", err, cmd.Process.Pid)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	unlock, err = LockRunDir(dir)
	if err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
	unlock()
}
