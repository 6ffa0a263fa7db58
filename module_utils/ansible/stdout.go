package ansible

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// guardStdout keeps the real stdout for the module's one JSON object and
// points file descriptor 1 at stderr, so stray prints from the module or a
// library (even from C code or a child process inheriting fd 1) cannot
// corrupt the protocol.
func guardStdout() (*os.File, func(), error) {
	fd, err := unix.Dup(1)
	if err != nil {
		return nil, nil, fmt.Errorf("saving stdout: %w", err)
	}
	unix.CloseOnExec(fd)
	if err := unix.Dup3(2, 1, 0); err != nil {
		unix.Close(fd)
		return nil, nil, fmt.Errorf("redirecting stdout: %w", err)
	}
	saved := os.NewFile(uintptr(fd), "stdout")
	return saved, func() { _ = saved.Sync(); _ = saved.Close() }, nil
}
