package dockerd

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// errNoPid is wrapped by readPidfile's error when the file holds no pid.
var errNoPid = errors.New("no pid")

// readPidfile returns the pid a pidfile holds. A missing file is
// fs.ErrNotExist; one that holds no positive number wraps errNoPid.
func readPidfile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("reading pidfile %s: %w", path, err)
	}
	text := string(bytes.TrimSpace(data))
	pid, err := strconv.Atoi(text)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pidfile %s holds %q: %w", path, text, errNoPid)
	}
	return pid, nil
}

// procDir is where process information is read; tests do not change it.
const procDir = "/proc"

// process is what /proc/<pid>/stat says of a process.
type process struct {
	comm  string // the executable's base name, cut to 15 bytes
	state byte   // R, S, D, Z (exited, not yet reaped), ...
}

// readProcess returns a process's name and state; a process that does not
// exist is fs.ErrNotExist.
func readProcess(pid int) (process, error) {
	data, err := os.ReadFile(filepath.Join(procDir, strconv.Itoa(pid), "stat"))
	if err != nil {
		return process{}, fmt.Errorf("reading process %d: %w", pid, err)
	}
	// "<pid> (<comm>) <state> ...": comm may hold spaces and parentheses.
	s := string(data)
	lp, rp := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if lp < 0 || rp < lp || rp+2 >= len(s) {
		return process{}, fmt.Errorf("reading process %d: malformed %s/%d/stat: %q", pid, procDir, pid, s)
	}
	return process{comm: s[lp+1 : rp], state: s[rp+2]}, nil
}

// alive reports whether the process exists and has not exited.
func (p process) alive() bool { return p.state != 'Z' && p.state != 'X' }

// commName is how the kernel names a process run from path (TASK_COMM_LEN).
func commName(path string) string {
	base := filepath.Base(path)
	if len(base) > 15 {
		base = base[:15]
	}
	return base
}

// isDaemon reports whether pid is a live process named like one of names.
func isDaemon(pid int, names ...string) bool {
	p, err := readProcess(pid)
	if err != nil || !p.alive() {
		return false
	}
	for _, n := range names {
		if p.comm == commName(n) {
			return true
		}
	}
	return false
}

// livePid returns the pidfile's pid when it is a live process named like
// one of names, 0 when the pidfile is missing or stale, and an error only
// when the pidfile cannot be read.
func livePid(pidfile string, names ...string) (int, error) {
	pid, err := readPidfile(pidfile)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errNoPid):
		return 0, nil
	case err != nil:
		return 0, err
	}
	if !isDaemon(pid, names...) {
		return 0, nil
	}
	return pid, nil
}

// clearStale removes the pidfile unless it names a live process named like
// one of names. dockerd refuses to start while its pidfile names any live
// process, and a pid is soon reused in a container or after a reboot.
func clearStale(pidfile string, names ...string) error {
	pid, err := livePid(pidfile, names...)
	if err != nil {
		return err
	}
	if pid != 0 {
		return fmt.Errorf("pidfile %s names dockerd pid %d, which is running", pidfile, pid)
	}
	if err := os.Remove(pidfile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing stale pidfile %s: %w", pidfile, err)
	}
	return nil
}
