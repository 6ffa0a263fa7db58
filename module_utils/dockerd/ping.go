package dockerd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// pingTimeout bounds one GET /_ping, so a hung daemon reads as "not
// answering" rather than stalling the caller.
const pingTimeout = 3 * time.Second

// pollInterval is how often the wait loops look again.
const pollInterval = 100 * time.Millisecond

// ErrNotAnswering is wrapped by Ping's error when the API did not say OK.
var ErrNotAnswering = errors.New("docker API not answering")

// Ping asks the docker API on the unix socket for GET /_ping and returns nil
// when it answers 200 "OK". It speaks HTTP/1.0 by hand: net/http would
// triple the size of every module binary that controls docker.
func Ping(ctx context.Context, socket string) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return fmt.Errorf("GET /_ping on %s: %w: %w", socket, ErrNotAnswering, err)
	}
	defer c.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(deadline)
	}
	if _, err := io.WriteString(c, "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"); err != nil {
		return fmt.Errorf("GET /_ping on %s: %w: %w", socket, ErrNotAnswering, err)
	}
	resp, err := io.ReadAll(io.LimitReader(c, 4096))
	if err != nil {
		return fmt.Errorf("GET /_ping on %s: %w: reading the answer: %w", socket, ErrNotAnswering, err)
	}
	head, body, _ := strings.Cut(string(resp), "\r\n\r\n")
	status, _, _ := strings.Cut(head, "\r\n")
	if f := strings.Fields(status); len(f) < 2 || f[1] != "200" || strings.TrimSpace(body) != "OK" {
		return fmt.Errorf("GET /_ping on %s: %w: %q %q", socket, ErrNotAnswering, status, body)
	}
	return nil
}

// waitAnswering pings until the API answers, check fails or ctx ends.
// check runs between pings, to notice a daemon that died.
func waitAnswering(ctx context.Context, socket string, check func() error) error {
	for {
		err := Ping(ctx, socket)
		if err == nil {
			return nil
		}
		if check != nil {
			if cerr := check(); cerr != nil {
				return cerr
			}
		}
		if serr := sleep(ctx); serr != nil {
			return fmt.Errorf("waiting for the docker API on %s: %w (last answer: %v)", socket, serr, err)
		}
	}
}

// waitSilent pings until the API stops answering or ctx ends.
func waitSilent(ctx context.Context, socket string) error {
	for {
		if err := Ping(ctx, socket); err != nil {
			return nil
		}
		if err := sleep(ctx); err != nil {
			return fmt.Errorf("waiting for the docker API on %s to go away: %w", socket, err)
		}
	}
}

func sleep(ctx context.Context) error {
	t := time.NewTimer(pollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// peerPid returns the pid of the process that listens on the unix socket
// (SO_PEERCRED), or 0 when that cannot be told.
func peerPid(socket string) int {
	c, err := net.DialTimeout("unix", socket, pingTimeout)
	if err != nil {
		return 0
	}
	defer c.Close()
	raw, err := c.(*net.UnixConn).SyscallConn()
	if err != nil {
		return 0
	}
	var cred *unix.Ucred
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		cred, gerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || gerr != nil {
		return 0
	}
	return int(cred.Pid)
}
