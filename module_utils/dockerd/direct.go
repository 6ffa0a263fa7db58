package dockerd

import (
	"context"
	"errors"
	"fmt"
	"github.com/gating/containers/module_utils/logtail"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// direct runs dockerd itself, for hosts without an init system.
type direct struct {
	opts options
}

// fallbackBinaries are tried when dockerd is not on PATH (a non-login
// shell's PATH often lacks the sbin directories).
var fallbackBinaries = []string{"/usr/sbin/dockerd", "/usr/bin/dockerd", "/usr/local/bin/dockerd"}

// names are the process names a live dockerd may have.
func (c *direct) names() []string {
	if c.opts.binary != "" {
		return []string{"dockerd", c.opts.binary}
	}
	return []string{"dockerd"}
}

func (c *direct) binary() (string, error) {
	if c.opts.binary != "" {
		return c.opts.binary, nil
	}
	path, err := exec.LookPath("dockerd")
	if err == nil {
		return path, nil
	}
	for _, p := range fallbackBinaries {
		if fi, serr := os.Stat(p); serr == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("finding dockerd: %w (also looked in %s)", err, strings.Join(fallbackBinaries, ", "))
}

// args are dockerd's flags: only the values that differ from dockerd's
// defaults, so daemon.json may set them instead.
func (c *direct) args() []string {
	var args []string
	if c.opts.socket != DefaultSocket {
		args = append(args, "--host", "unix://"+c.opts.socket)
	}
	if c.opts.pidfile != DefaultPidfile {
		args = append(args, "--pidfile", c.opts.pidfile)
	}
	return args
}

func (c *direct) status(ctx context.Context) (Status, error) {
	st := Status{Manager: Direct}
	pid, err := livePid(c.opts.pidfile, c.names()...)
	if err != nil {
		return st, err
	}
	st.Ready = Ping(ctx, c.opts.socket) == nil
	if pid == 0 && st.Ready {
		// Answering, yet not the pidfile's: ask the socket who listens.
		if p := peerPid(c.opts.socket); p > 1 {
			if proc, perr := readProcess(p); perr == nil && proc.alive() {
				pid = p
			}
		}
	}
	st.Pid = pid
	st.Running = pid != 0 || st.Ready
	return st, nil
}

func (c *direct) start(ctx context.Context) error {
	st, err := c.status(ctx)
	if err != nil {
		return err
	}
	if st.Ready {
		return nil
	}
	if st.Pid != 0 {
		return c.waitStarting(ctx, st.Pid, nil, -1)
	}
	bin, err := c.binary()
	if err != nil {
		return err
	}
	if err := clearStale(c.opts.pidfile, c.names()...); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.opts.logFile), 0o755); err != nil {
		return fmt.Errorf("creating the directory of log file %s: %w", c.opts.logFile, err)
	}
	log, err := os.OpenFile(c.opts.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("opening log file %s: %w", c.opts.logFile, err)
	}
	defer log.Close()
	offset, err := log.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("opening log file %s: %w", c.opts.logFile, err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()

	// Its own session: no terminal, no process group for Ansible (or a
	// shell) to take down when the task ends.
	cmd := exec.Command(bin, c.args()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, log, log
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", cmd, err)
	}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		if err == nil {
			err = errors.New("exit status 0")
		}
		exited <- err
	}()
	return c.waitStarting(ctx, cmd.Process.Pid, exited, offset)
}

// waitStarting waits for a starting dockerd's API. exited, when not nil,
// yields the process's exit; the log is quoted from logFrom (-1: only the
// end) when it fails.
func (c *direct) waitStarting(ctx context.Context, pid int, exited <-chan error, logFrom int64) error {
	err := waitAnswering(ctx, c.opts.socket, func() error {
		if exited != nil {
			select {
			case werr := <-exited:
				return fmt.Errorf("dockerd (pid %d) exited before its API answered on %s: %w%s",
					pid, c.opts.socket, werr, logtail.Quote(c.opts.logFile, logFrom))
			default:
				return nil
			}
		}
		if p, err := readProcess(pid); err != nil || !p.alive() {
			return fmt.Errorf("dockerd (pid %d, from pidfile %s) exited before its API answered on %s%s",
				pid, c.opts.pidfile, c.opts.socket, logtail.Quote(c.opts.logFile, logFrom))
		}
		return nil
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("dockerd (pid %d) is left running: %w%s", pid, err, logtail.Quote(c.opts.logFile, logFrom))
	}
	return err
}

// runningPid returns the pid of the running daemon, waiting for a starting
// one to answer first (dockerd dies of a SIGHUP that comes before it
// handles signals). The error wraps ErrNotRunning when there is none.
func (c *direct) runningPid(ctx context.Context) (int, error) {
	st, err := c.status(ctx)
	if err != nil {
		return 0, err
	}
	if !st.Running {
		return 0, fmt.Errorf("%w: pidfile %s names no live dockerd and nothing answers on %s",
			ErrNotRunning, c.opts.pidfile, c.opts.socket)
	}
	if st.Pid == 0 {
		return 0, fmt.Errorf("the docker API answers on %s, but neither pidfile %s nor the socket tells which process serves it",
			c.opts.socket, c.opts.pidfile)
	}
	if !st.Ready {
		if err := c.waitStarting(ctx, st.Pid, nil, -1); err != nil {
			return 0, err
		}
	}
	return st.Pid, nil
}

func (c *direct) stop(ctx context.Context) error {
	pid, err := c.runningPid(ctx)
	if errors.Is(err, ErrNotRunning) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping dockerd (pid %d): %w", pid, err)
	}
	for {
		if p, err := readProcess(pid); err != nil || !p.alive() {
			break
		}
		if err := sleep(ctx); err != nil {
			return fmt.Errorf("waiting for dockerd (pid %d) to exit after SIGTERM: %w", pid, err)
		}
	}
	return waitSilent(ctx, c.opts.socket)
}

func (c *direct) reload(ctx context.Context) error {
	pid, err := c.runningPid(ctx)
	if err != nil {
		return fmt.Errorf("reloading dockerd: %w", err)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		return fmt.Errorf("reloading dockerd (pid %d): %w", pid, err)
	}
	return c.waitStarting(ctx, pid, nil, -1)
}

func (c *direct) restart(ctx context.Context) error {
	if err := c.stop(ctx); err != nil {
		return err
	}
	return c.start(ctx)
}
