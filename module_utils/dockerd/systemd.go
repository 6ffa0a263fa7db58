package dockerd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// systemd drives the docker and docker.socket units with systemctl.
type systemd struct {
	opts options
}

// commandError is a failed command with what it printed.
type commandError struct {
	cmd    string
	output string
	err    error
}

func (e *commandError) Error() string {
	if e.output == "" {
		return fmt.Sprintf("%s: %v", e.cmd, e.err)
	}
	return fmt.Sprintf("%s: %v: %s", e.cmd, e.err, e.output)
}

func (e *commandError) Unwrap() error { return e.err }

func (c *systemd) systemctl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.opts.systemctl, args...)
	out, err := cmd.CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err != nil {
		return text, &commandError{cmd: cmd.String(), output: text, err: err}
	}
	return text, nil
}

// missingUnit reports whether systemctl failed because the unit does not
// exist (status 5, as on hosts whose docker has no docker.socket).
func missingUnit(err error) bool {
	var ce *commandError
	if !errors.As(err, &ce) {
		return false
	}
	var ee *exec.ExitError
	if errors.As(ce.err, &ee) && ee.ExitCode() == 5 {
		return true
	}
	return strings.Contains(ce.output, "not found") || strings.Contains(ce.output, "not loaded")
}

// unitState returns the docker unit's ActiveState and MainPID.
func (c *systemd) unitState(ctx context.Context) (string, int, error) {
	out, err := c.systemctl(ctx, "show", "docker", "--property=ActiveState", "--property=MainPID")
	if err != nil {
		return "", 0, err
	}
	var state string
	var pid int
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), "=")
		switch key {
		case "ActiveState":
			state = value
		case "MainPID":
			pid, _ = strconv.Atoi(value)
		}
	}
	if state == "" {
		return "", 0, fmt.Errorf("%s show docker: no ActiveState in %q", c.opts.systemctl, out)
	}
	return state, pid, nil
}

func (c *systemd) status(ctx context.Context) (Status, error) {
	st := Status{Manager: Systemd}
	state, pid, err := c.unitState(ctx)
	if err != nil {
		return st, err
	}
	switch state {
	case "active", "activating", "reloading":
		st.Running = true
		st.Pid = pid
		// Only now: a ping to an idle docker.socket would start docker.
		st.Ready = Ping(ctx, c.opts.socket) == nil
	}
	return st, nil
}

// wait waits for the API, giving up early when the unit fails.
func (c *systemd) wait(ctx context.Context) error {
	err := waitAnswering(ctx, c.opts.socket, func() error {
		if state, _, err := c.unitState(ctx); err == nil && (state == "failed" || state == "inactive") {
			return fmt.Errorf("docker.service is %s, its API never answered on %s", state, c.opts.socket)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w%s", err, c.journal(ctx))
	}
	return nil
}

// journal quotes the unit's last log lines, best effort, for an error.
func (c *systemd) journal(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, c.opts.systemctl, "status", "docker", "--no-pager", "--lines=20").CombinedOutput()
	if len(out) == 0 {
		return ""
	}
	return "; systemctl status docker:\n" + strings.TrimSpace(string(out))
}

func (c *systemd) start(ctx context.Context) error {
	if _, err := c.systemctl(ctx, "start", "docker.socket"); err != nil && !missingUnit(err) {
		return err
	}
	if _, err := c.systemctl(ctx, "start", "docker"); err != nil {
		return fmt.Errorf("%w%s", err, c.journal(ctx))
	}
	return c.wait(ctx)
}

func (c *systemd) stop(ctx context.Context) error {
	if _, err := c.systemctl(ctx, "stop", "docker.socket", "docker"); err != nil {
		// A missing docker.socket fails the command but docker stops all the same.
		if st, serr := c.status(ctx); serr != nil || st.Running {
			return err
		}
	}
	return waitSilent(ctx, c.opts.socket)
}

func (c *systemd) reload(ctx context.Context) error {
	st, err := c.status(ctx)
	if err != nil {
		return err
	}
	if !st.Running {
		return fmt.Errorf("reloading dockerd: %w: docker.service is not active", ErrNotRunning)
	}
	if !st.Ready {
		if err := c.wait(ctx); err != nil {
			return err
		}
	}
	if _, err := c.systemctl(ctx, "reload", "docker"); err != nil {
		return err
	}
	return c.wait(ctx)
}

func (c *systemd) restart(ctx context.Context) error {
	if _, err := c.systemctl(ctx, "restart", "docker"); err != nil {
		return fmt.Errorf("%w%s", err, c.journal(ctx))
	}
	return c.wait(ctx)
}
