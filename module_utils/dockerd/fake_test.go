package dockerd

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeEnv makes the test binary act as dockerd: it writes its pidfile,
// serves GET /_ping on its socket, logs "reloading configuration" on SIGHUP
// and exits on SIGTERM, removing its pidfile, as dockerd does.
const fakeEnv = "DOCKERD_TEST_FAKE"

func TestMain(m *testing.M) {
	if os.Getenv(fakeEnv) == "1" {
		os.Exit(fakeDockerd(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeDockerd(args []string) int {
	fs := flag.NewFlagSet("dockerd", flag.ContinueOnError)
	host := fs.String("host", "unix://"+DefaultSocket, "")
	pidfile := fs.String("pidfile", DefaultPidfile, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	socket := strings.TrimPrefix(*host, "unix://")
	fmt.Printf("fake dockerd starting: %s\n", strings.Join(args, " "))
	if socket == DefaultSocket || *pidfile == DefaultPidfile {
		fmt.Fprintln(os.Stderr, "fake dockerd: refusing to touch the real daemon's paths")
		return 2
	}
	if err := os.WriteFile(*pidfile, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM)
	l, err := net.Listen("unix", socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() {
		_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/_ping" {
				_, _ = w.Write([]byte("OK"))
				return
			}
			http.NotFound(w, r)
		}))
	}()
	for s := range sigs {
		if s == syscall.SIGHUP {
			fmt.Println("reloading configuration")
			continue
		}
		_ = l.Close()
		_ = os.Remove(*pidfile)
		fmt.Println("fake dockerd stopped")
		return 0
	}
	return 0
}

// fakePaths are a test's socket, pidfile and log file.
type fakePaths struct {
	dir, socket, pidfile, log string
}

func newFakePaths(t *testing.T) fakePaths {
	// Unix socket paths are short (108 bytes): t.TempDir can be too deep.
	dir, err := os.MkdirTemp("", "dockerd")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return fakePaths{dir: dir, socket: dir + "/docker.sock", pidfile: dir + "/docker.pid", log: dir + "/log/dockerd.log"}
}

// newFakeDaemon returns a Daemon whose dockerd is this test binary, and
// kills whatever it left running when the test ends.
func newFakeDaemon(t *testing.T, p fakePaths, opts ...Option) *Daemon {
	t.Setenv(fakeEnv, "1")
	self, err := os.Executable()
	require.NoError(t, err)
	d, err := New(append([]Option{
		WithManager(Direct), WithBinary(self), WithSocket(p.socket), WithPidfile(p.pidfile),
		WithLogFile(p.log), WithTimeout(10 * time.Second),
	}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		if pid, err := readPidfile(p.pidfile); err == nil && isDaemon(pid, self) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return d
}

// startProcess runs a long sleep under the given name and returns its pid.
func startProcess(t *testing.T, name string) int {
	t.Helper()
	sleep, err := os.ReadFile("/bin/sleep")
	require.NoError(t, err)
	path := t.TempDir() + "/" + name
	require.NoError(t, os.WriteFile(path, sleep, 0o755))
	cmd := exec.Command(path, "60")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd.Process.Pid
}

// deadPid returns the pid of a process that has exited and been reaped.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("/bin/true")
	require.NoError(t, cmd.Run())
	return cmd.Process.Pid
}

func requireNotAnswering(t *testing.T, socket string) {
	t.Helper()
	err := Ping(t.Context(), socket)
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrNotAnswering), "%v", err)
}
