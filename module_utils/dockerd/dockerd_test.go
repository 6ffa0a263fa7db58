package dockerd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// serveUnix serves h on a unix socket in a fresh directory and returns the
// socket's path.
func serveUnix(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	p := newFakePaths(t)
	l, err := net.Listen("unix", p.socket)
	require.NoError(t, err)
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p.socket
}

func TestPingAnswersOK(t *testing.T) {
	var path, host string
	socket := serveUnix(t, func(w http.ResponseWriter, r *http.Request) {
		path, host = r.URL.Path, r.Host
		_, _ = w.Write([]byte("OK"))
	})
	require.NoError(t, Ping(t.Context(), socket))
	require.Equal(t, "/_ping", path)
	require.Equal(t, "docker", host)
}

func TestPingNotAnswering(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "daemon is starting", http.StatusServiceUnavailable)
		}, "503"},
		{"wrong body", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("pong")) }, `"pong"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			socket := serveUnix(t, tc.handler)
			err := Ping(t.Context(), socket)
			require.ErrorIs(t, err, ErrNotAnswering)
			require.ErrorContains(t, err, socket)
			require.ErrorContains(t, err, tc.want)
		})
	}
	t.Run("no socket", func(t *testing.T) {
		socket := newFakePaths(t).socket
		err := Ping(t.Context(), socket)
		require.ErrorIs(t, err, ErrNotAnswering)
		require.ErrorIs(t, err, fs.ErrNotExist)
		require.ErrorContains(t, err, socket)
	})
}

func TestPingHungServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	socket := serveUnix(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	start := time.Now()
	require.ErrorIs(t, Ping(t.Context(), socket), ErrNotAnswering)
	require.Less(t, time.Since(start), pingTimeout+2*time.Second)
}

func TestPeerPidIsTheListener(t *testing.T) {
	socket := serveUnix(t, func(w http.ResponseWriter, r *http.Request) {})
	require.Equal(t, os.Getpid(), peerPid(socket))
	require.Zero(t, peerPid(socket+".missing"))
}

func TestReadPidfile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		content string
		pid     int
		err     error
	}{
		{"1234\n", 1234, nil},
		{" 42 ", 42, nil},
		{"", 0, errNoPid},
		{"abc", 0, errNoPid},
		{"-5", 0, errNoPid},
		{"0", 0, errNoPid},
	} {
		path := filepath.Join(dir, "docker.pid")
		require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o644))
		pid, err := readPidfile(path)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, "content %q", tc.content)
			require.ErrorContains(t, err, path)
			continue
		}
		require.NoError(t, err, "content %q", tc.content)
		require.Equal(t, tc.pid, pid, "content %q", tc.content)
	}
	_, err := readPidfile(filepath.Join(dir, "missing.pid"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestReadProcess(t *testing.T) {
	p, err := readProcess(startProcess(t, "my (odd) name"))
	require.NoError(t, err)
	require.Equal(t, "my (odd) name", p.comm)
	require.True(t, p.alive())

	_, err = readProcess(deadPid(t))
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Equal(t, "dockerd-rootles", commName("/usr/bin/dockerd-rootless.sh"))
}

func TestLivePid(t *testing.T) {
	dockerd := startProcess(t, "dockerd")
	other := startProcess(t, "sleep")
	dead := deadPid(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		content string
		want    int
	}{
		{"live dockerd", strconv.Itoa(dockerd), dockerd},
		{"pid reused by another program", strconv.Itoa(other), 0},
		{"dead pid", strconv.Itoa(dead), 0},
		{"garbage", "not a pid", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "docker.pid")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o644))
			pid, err := livePid(path, "dockerd")
			require.NoError(t, err)
			require.Equal(t, tc.want, pid)
		})
	}
	pid, err := livePid(filepath.Join(dir, "missing.pid"), "dockerd")
	require.NoError(t, err)
	require.Zero(t, pid)
}

func TestClearStale(t *testing.T) {
	dockerd := startProcess(t, "dockerd")
	other := startProcess(t, "sleep")
	dir := t.TempDir()
	path := filepath.Join(dir, "docker.pid")

	require.NoError(t, os.WriteFile(path, []byte(strconv.Itoa(other)), 0o644))
	require.NoError(t, clearStale(path, "dockerd"))
	require.NoFileExists(t, path, "a pidfile naming another program is stale")

	require.NoError(t, os.WriteFile(path, []byte(strconv.Itoa(dockerd)), 0o644))
	err := clearStale(path, "dockerd")
	require.ErrorContains(t, err, path)
	require.ErrorContains(t, err, strconv.Itoa(dockerd))
	require.FileExists(t, path, "a live dockerd's pidfile is kept")

	require.NoError(t, clearStale(filepath.Join(dir, "missing.pid"), "dockerd"))
}

func TestDetect(t *testing.T) {
	dir := t.TempDir()
	require.Equal(t, Systemd, detect(dir))
	require.Equal(t, Direct, detect(filepath.Join(dir, "missing")))
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	require.Equal(t, Direct, detect(file))
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		opt  Option
		want string
	}{
		{WithManager("upstart"), `manager "upstart"`},
		{WithTimeout(0), "timeout 0s"},
		{WithSocket(""), "socket: empty path"},
		{WithPidfile(""), "pidfile: empty path"},
		{WithLogFile(""), "log file: empty path"},
	} {
		_, err := New(tc.opt)
		require.ErrorContains(t, err, tc.want)
	}
	d, err := New(WithManager(Direct))
	require.NoError(t, err)
	require.Equal(t, Direct, d.Manager())
	d, err = New()
	require.NoError(t, err)
	require.Equal(t, Detect(), d.Manager(), "auto is resolved")
}

func TestDirectArgsOnlyForNonDefaults(t *testing.T) {
	require.Empty(t, (&direct{opts: options{socket: DefaultSocket, pidfile: DefaultPidfile}}).args())
	require.Equal(t, []string{"--host", "unix:///run/d.sock", "--pidfile", "/run/d.pid"},
		(&direct{opts: options{socket: "/run/d.sock", pidfile: "/run/d.pid"}}).args())
}

func TestDirectStartFailureQuotesLog(t *testing.T) {
	p := newFakePaths(t)
	require.NoError(t, os.MkdirAll(filepath.Dir(p.log), 0o755))
	require.NoError(t, os.WriteFile(p.log, []byte("an earlier run's line\n"), 0o644))
	script := filepath.Join(p.dir, "dockerd")
	require.NoError(t, os.WriteFile(script, []byte(`#!/bin/sh
echo "starting with: $*"
echo "failed to start daemon: boom" >&2
exit 1
`), 0o755))
	d, err := New(WithManager(Direct), WithBinary(script), WithSocket(p.socket), WithPidfile(p.pidfile),
		WithLogFile(p.log), WithTimeout(10*time.Second))
	require.NoError(t, err)

	start := time.Now()
	err = d.Start(t.Context())
	require.Error(t, err)
	require.Less(t, time.Since(start), 5*time.Second, "an exit is noticed, not waited out")
	require.ErrorContains(t, err, "exit status 1")
	require.ErrorContains(t, err, "failed to start daemon: boom")
	require.ErrorContains(t, err, "--pidfile "+p.pidfile)
	require.ErrorContains(t, err, p.log)
	require.NotContains(t, err.Error(), "an earlier run's line")
}

func TestDirectStartMissingBinary(t *testing.T) {
	p := newFakePaths(t)
	missing := filepath.Join(p.dir, "no-dockerd")
	d, err := New(WithManager(Direct), WithBinary(missing), WithSocket(p.socket), WithPidfile(p.pidfile),
		WithLogFile(p.log))
	require.NoError(t, err)
	err = d.Start(t.Context())
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, missing)
}

func TestDirectStartTimesOut(t *testing.T) {
	p := newFakePaths(t)
	script := filepath.Join(p.dir, "dockerd")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\necho hanging\nexec sleep 30\n"), 0o755))
	d, err := New(WithManager(Direct), WithBinary(script), WithSocket(p.socket), WithPidfile(p.pidfile),
		WithLogFile(p.log), WithTimeout(time.Second))
	require.NoError(t, err)
	start := time.Now()
	err = d.Start(t.Context())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
	require.ErrorContains(t, err, "hanging")
	require.ErrorContains(t, err, "left running")
	var pid int
	_, _ = fmt.Sscanf(err.Error()[strings.Index(err.Error(), "(pid "):], "(pid %d)", &pid)
	require.NotZero(t, pid, "%v", err)
	require.NoError(t, unix.Kill(pid, unix.SIGKILL))
}

func TestDirectLifecycle(t *testing.T) {
	p := newFakePaths(t)
	d := newFakeDaemon(t, p)
	ctx := t.Context()

	st, err := d.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, Status{Manager: Direct}, st)
	require.ErrorIs(t, d.Reload(ctx), ErrNotRunning)
	require.NoError(t, d.Stop(ctx), "stopping a stopped daemon is fine")

	require.NoError(t, d.Start(ctx))
	st, err = d.Status(ctx)
	require.NoError(t, err)
	require.True(t, st.Running)
	require.True(t, st.Ready)
	pid, err := readPidfile(p.pidfile)
	require.NoError(t, err)
	require.Equal(t, pid, st.Pid)
	sid, err := unix.Getsid(pid)
	require.NoError(t, err)
	require.Equal(t, pid, sid, "dockerd runs in its own session")
	require.NoError(t, Ping(ctx, p.socket))

	require.NoError(t, d.Start(ctx), "starting a running daemon is fine")
	st, err = d.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, pid, st.Pid, "and starts no other")

	require.NoError(t, d.Reload(ctx))
	require.Eventually(t, func() bool {
		log, _ := os.ReadFile(p.log)
		return strings.Contains(string(log), "reloading configuration")
	}, 5*time.Second, 50*time.Millisecond)
	st, err = d.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, pid, st.Pid, "a reload keeps the process")

	require.NoError(t, d.Restart(ctx))
	st, err = d.Status(ctx)
	require.NoError(t, err)
	require.True(t, st.Ready)
	require.NotEqual(t, pid, st.Pid, "a restart makes a new process")
	pid = st.Pid

	require.NoError(t, d.Stop(ctx))
	st, err = d.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, Status{Manager: Direct}, st)
	requireNotAnswering(t, p.socket)
	proc, err := readProcess(pid)
	require.True(t, err != nil || !proc.alive(), "the process is gone")
	log, err := os.ReadFile(p.log)
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(string(log), "fake dockerd stopped"), "both runs logged, appended")
}

func TestDirectStartReplacesStalePidfile(t *testing.T) {
	p := newFakePaths(t)
	other := startProcess(t, "sleep")
	require.NoError(t, os.WriteFile(p.pidfile, []byte(strconv.Itoa(other)), 0o644))
	d := newFakeDaemon(t, p)
	require.NoError(t, d.Start(t.Context()))
	pid, err := readPidfile(p.pidfile)
	require.NoError(t, err)
	require.NotEqual(t, other, pid)
	proc, err := readProcess(other)
	require.NoError(t, err)
	require.True(t, proc.alive(), "the program the stale pidfile named is left alone")
}

func TestDirectStopFindsDaemonWithoutPidfile(t *testing.T) {
	p := newFakePaths(t)
	d := newFakeDaemon(t, p)
	ctx := t.Context()
	require.NoError(t, d.Start(ctx))
	pid, err := readPidfile(p.pidfile)
	require.NoError(t, err)
	require.NoError(t, os.Remove(p.pidfile))

	st, err := d.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, pid, st.Pid, "the socket's listener is found")
	require.NoError(t, d.Stop(ctx))
	requireNotAnswering(t, p.socket)
}

func TestEnsure(t *testing.T) {
	p := newFakePaths(t)
	d := newFakeDaemon(t, p)
	ctx := t.Context()
	steps := []struct {
		state   State
		dryRun  bool
		action  Action
		running bool
	}{
		{Started, true, Start, false},
		{Stopped, false, None, false},
		{Started, false, Start, true},
		{Started, true, None, true},
		{Started, false, None, true},
		{Reloaded, true, Reload, true},
		{Reloaded, false, Reload, true},
		{Restarted, false, Restart, true},
		{Stopped, true, Stop, true},
		{Stopped, false, Stop, false},
		{Stopped, false, None, false},
		{Reloaded, true, Start, false},
		{Restarted, false, Start, true},
		{Stopped, false, Stop, false},
	}
	var lastPid int
	for i, s := range steps {
		name := fmt.Sprintf("step %d: %s dry-run=%v", i, s.state, s.dryRun)
		before, err := d.Status(ctx)
		require.NoError(t, err, name)
		out, err := d.Ensure(ctx, s.state, s.dryRun)
		require.NoError(t, err, name)
		require.Equal(t, s.action, out.Action, name)
		require.Equal(t, s.action != None, out.Changed(), name)
		require.Equal(t, s.running, out.Status.Running, name)
		require.Equal(t, s.running, Ping(ctx, p.socket) == nil, name)
		if s.dryRun || s.action == None || s.action == Reload {
			require.Equal(t, before.Pid, out.Status.Pid, name)
		}
		if s.action == Restart {
			require.NotEqual(t, lastPid, out.Status.Pid, name)
		}
		lastPid = out.Status.Pid
	}
	_, err := d.Ensure(ctx, "paused", false)
	require.ErrorContains(t, err, `state "paused"`)
}

// fakeSystemctl is a systemctl that records its calls and keeps the docker
// unit's state in a file; the "daemon" answers on the socket while active.
type fakeSystemctl struct {
	dir, socket, path string
	pings             *atomic.Int32
}

func newFakeSystemctl(t *testing.T, state string, failStart bool) fakeSystemctl {
	p := newFakePaths(t)
	f := fakeSystemctl{dir: p.dir, socket: p.socket, path: filepath.Join(p.dir, "systemctl"), pings: &atomic.Int32{}}
	require.NoError(t, os.WriteFile(filepath.Join(p.dir, "state"), []byte(state), 0o644))
	startDocker := "echo active > $dir/state"
	if failStart {
		startDocker = `echo "Job for docker.service failed." >&2; echo failed > $dir/state; exit 1`
	}
	script := fmt.Sprintf(`#!/bin/sh
dir=%s
echo "$*" >> $dir/calls
case "$1 $2" in
"show docker") echo "ActiveState=$(cat $dir/state)"; echo "MainPID=4242" ;;
"start docker.socket") echo "Failed to start docker.socket: Unit docker.socket not found." >&2; exit 5 ;;
"start docker") %s ;;
"stop docker.socket") echo inactive > $dir/state; echo "Failed to stop docker.socket: Unit docker.socket not loaded." >&2; exit 5 ;;
"reload docker") echo reloaded >> $dir/events ;;
"restart docker") echo active > $dir/state ;;
"status docker") echo "docker.service - Docker Application Container Engine" ;;
*) echo "unexpected: $*" >&2; exit 1 ;;
esac
`, p.dir, startDocker)
	require.NoError(t, os.WriteFile(f.path, []byte(script), 0o755))
	l, err := net.Listen("unix", p.socket)
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.pings.Add(1)
		if b, _ := os.ReadFile(filepath.Join(p.dir, "state")); strings.TrimSpace(string(b)) == "active" {
			_, _ = w.Write([]byte("OK"))
			return
		}
		http.Error(w, "inactive", http.StatusServiceUnavailable)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return f
}

// calls returns the state-changing systemctl calls, in order.
func (f fakeSystemctl) calls(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join(f.dir, "calls"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.HasPrefix(l, "show ") && !strings.HasPrefix(l, "status ") {
			out = append(out, l)
		}
	}
	return out
}

func (f fakeSystemctl) daemon(t *testing.T) *Daemon {
	d, err := New(WithManager(Systemd), WithSystemctl(f.path), WithSocket(f.socket), WithTimeout(5*time.Second))
	require.NoError(t, err)
	return d
}

func TestSystemdCommands(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state string
		op    func(*Daemon) error
		calls []string
		after string
	}{
		{"start", "inactive", func(d *Daemon) error { return d.Start(t.Context()) },
			[]string{"start docker.socket", "start docker"}, "active"},
		{"stop", "active", func(d *Daemon) error { return d.Stop(t.Context()) },
			[]string{"stop docker.socket docker"}, "inactive"},
		{"reload", "active", func(d *Daemon) error { return d.Reload(t.Context()) },
			[]string{"reload docker"}, "active"},
		{"restart", "active", func(d *Daemon) error { return d.Restart(t.Context()) },
			[]string{"restart docker"}, "active"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSystemctl(t, tc.state, false)
			d := f.daemon(t)
			require.NoError(t, tc.op(d))
			require.Equal(t, tc.calls, f.calls(t))
			st, err := d.Status(t.Context())
			require.NoError(t, err)
			require.Equal(t, tc.after == "active", st.Running)
			require.Equal(t, tc.after == "active", st.Ready)
			if st.Running {
				require.Equal(t, 4242, st.Pid)
			}
		})
	}
}

func TestSystemdReloadNotRunning(t *testing.T) {
	f := newFakeSystemctl(t, "inactive", false)
	require.ErrorIs(t, f.daemon(t).Reload(t.Context()), ErrNotRunning)
	require.Empty(t, f.calls(t))
}

func TestSystemdStartFailure(t *testing.T) {
	f := newFakeSystemctl(t, "inactive", true)
	err := f.daemon(t).Start(t.Context())
	require.ErrorContains(t, err, "start docker")
	require.ErrorContains(t, err, "Job for docker.service failed.")
	require.ErrorContains(t, err, "systemctl status docker:")
}

func TestSystemdStatusDoesNotPingInactiveUnit(t *testing.T) {
	f := newFakeSystemctl(t, "inactive", false)
	st, err := f.daemon(t).Status(t.Context())
	require.NoError(t, err)
	require.Equal(t, Status{Manager: Systemd}, st)
	require.Zero(t, f.pings.Load(), "a ping could socket-activate docker")
}
