package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/gating/containers/module_utils/logtail"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gating/containers/module_utils/atomicfile"
)

// process runs the registry as a detached process of <root>/bin.
type process struct {
	d         *deployment
	logOffset int64 // where this run's output starts in the log (0 before a launch)
}

func (p *process) kind() string { return "process" }

func (p *process) dirs() (string, string) { return p.d.path(tlsDir), p.d.path(storageDir) }

// procDir is where processes are looked up.
const procDir = "/proc"

// exeOf is the executable of a live process ("" when it does not exist or
// has exited). A binary replaced on disk reads "<path> (deleted)".
func exeOf(pid int) string {
	stat, err := os.ReadFile(filepath.Join(procDir, strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	// "<pid> (<comm>) <state> ...": an exited, unreaped process is Z.
	if rp := bytes.LastIndexByte(stat, ')'); rp < 0 || rp+2 >= len(stat) || stat[rp+2] == 'Z' || stat[rp+2] == 'X' {
		return ""
	}
	exe, err := os.Readlink(filepath.Join(procDir, strconv.Itoa(pid), "exe"))
	if err != nil {
		return ""
	}
	return exe
}

// argsOf is a process's command line.
func argsOf(pid int) []string {
	data, err := os.ReadFile(filepath.Join(procDir, strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}

// ours reports whether pid runs this root's registry binary, current or
// replaced since.
func (p *process) ours(pid int) bool {
	exe := exeOf(pid)
	bin := p.d.path(binFile)
	return exe == bin || exe == bin+" (deleted)"
}

// find returns the pid of this root's registry: the pidfile's, or, when
// that is missing or stale, any process running the root's binary.
func (p *process) find() (int, error) {
	data, err := os.ReadFile(p.d.path(pidFile))
	switch {
	case err == nil:
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); perr == nil && pid > 0 && p.ours(pid) {
			return pid, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("reading pidfile: %w", err)
	}
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return 0, fmt.Errorf("listing processes: %w", err)
	}
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid != os.Getpid() && p.ours(pid) {
			return pid, nil
		}
	}
	return 0, nil
}

func (p *process) status(ctx context.Context) (status, error) {
	pid, err := p.find()
	if err != nil || pid == 0 {
		return status{}, err
	}
	st := status{exists: true, running: true, pid: pid, current: true}
	want := []string{p.d.path(binFile), serveCommand, "--config", p.d.path(confFile)}
	switch {
	case exeOf(pid) != p.d.path(binFile):
		st.current, st.detail = false, fmt.Sprintf("pid %d runs a binary replaced since", pid)
	case !slices.Equal(argsOf(pid), want):
		st.current, st.detail = false, fmt.Sprintf("pid %d runs as %q, not %q", pid, argsOf(pid), want)
	}
	return st, nil
}

func (p *process) installed(ctx context.Context) (bool, error) {
	sum, err := fileSum(p.d.path(binFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the installed registry binary: %w", err)
	}
	return sum == p.d.exeSum, nil
}

// install copies this binary to <root>/bin, atomically: a running
// registry keeps its (now deleted) file.
func (p *process) install(ctx context.Context) error {
	data, err := os.ReadFile(p.d.exe)
	if err != nil {
		return fmt.Errorf("reading the module's own binary %s: %w", p.d.exe, err)
	}
	return atomicfile.Write(p.d.path(binFile), data, 0o755)
}

func (p *process) launch(ctx context.Context) (status, func() error, error) {
	logPath := p.d.path(logFile)
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return status{}, nil, fmt.Errorf("opening the registry log: %w", err)
	}
	defer log.Close()
	p.logOffset, _ = log.Seek(0, io.SeekEnd)
	null, err := os.Open(os.DevNull)
	if err != nil {
		return status{}, nil, err
	}
	defer null.Close()
	// Its own session: Ansible ends the processes left in a task's
	// session, and the registry must outlive the task and the playbook.
	cmd := exec.Command(p.d.path(binFile), serveCommand, "--config", p.d.path(confFile))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, log, log
	cmd.Dir = p.d.root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return status{}, nil, fmt.Errorf("starting %s: %w", cmd, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		if err == nil {
			err = errors.New("exit status 0")
		}
		exited <- err
	}()
	st := status{exists: true, running: true, current: true, pid: pid}
	if err := atomicfile.Write(p.d.path(pidFile), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return st, nil, err
	}
	alive := func() error {
		select {
		case err := <-exited:
			return fmt.Errorf("the registry (pid %d) exited (%w)", pid, err)
		default:
			return nil
		}
	}
	return st, alive, nil
}

// stop sends SIGTERM and waits for the process to go; one that does not
// within the timeout is killed.
func (p *process) stop(ctx context.Context, st status) error {
	if err := syscall.Kill(st.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping the registry (pid %d): %w", st.pid, err)
	}
	gone := func() bool { return !p.ours(st.pid) }
	if !waitFor(ctx, gone) {
		_ = syscall.Kill(st.pid, syscall.SIGKILL)
		kctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if !waitFor(kctx, gone) {
			return fmt.Errorf("the registry (pid %d) did not exit after SIGTERM and SIGKILL", st.pid)
		}
	}
	if err := os.Remove(p.d.path(pidFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the pidfile: %w", err)
	}
	return nil
}

func (p *process) logs(ctx context.Context) string {
	return logtail.Quote(p.d.path(logFile), p.logOffset)
}

// waitFor polls cond until it holds (true) or ctx ends (false).
func waitFor(ctx context.Context, cond func() bool) bool {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-t.C:
		}
	}
}
