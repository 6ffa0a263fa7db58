//go:build e2e

// Package e2e tests the buildset registry end to end: the real
// plugins/modules/buildset_registry binary in serve mode, over TLS with
// token authentication, driven by real clients (skopeo, docker) and raw
// HTTP, through attacks and crashes. Run it after `make build`:
//
//	go test -tags e2e -count=1 -v ./tests/registry/
package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/registryd"
	"github.com/gating/containers/module_utils/tlsgen"
	"github.com/stretchr/testify/require"
)

const top = "../.."

// The accounts of every test registry. The write user's password holds
// ':' twice: Basic credentials split on the first one only.
const (
	writeUser = "zuul"
	readUser  = "reader"
)

// Bounds of the waits on the registry process.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 20 * time.Second // registryd.ShutdownTimeout plus slack
)

// server is one buildset registry process and the files it runs from.
type server struct {
	t        *testing.T
	bin      string
	root     string // t.TempDir(): conf, tls, storage, logs
	confPath string
	storage  string
	certDir  string // ca.crt alone, for skopeo --cert-dir
	caPEM    []byte
	password string // writeUser's
	readPass string // readUser's
	port     int    // fixed after the first start, so restarts keep it
	host     string // 127.0.0.1:<port>
	client   *http.Client
	starts   int
	cmd      *exec.Cmd
	exited   chan struct{}
}

// binary is the built module, or the test fails telling how to build it.
func binary(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join(top, "plugins", "modules", "buildset_registry"))
	require.NoError(t, err)
	_, err = os.Stat(bin)
	require.NoError(t, err, "run `make build` first")
	return bin
}

// newServer writes a configuration (TLS files from tlsgen, a fresh
// secret, a write and a read user) into a temporary directory and starts
// the registry on 127.0.0.1. configure, if given, edits the configuration
// before the first start.
func newServer(t *testing.T, configure ...func(*registryd.Config)) *server {
	t.Helper()
	root := t.TempDir()
	s := &server{
		t:        t,
		bin:      binary(t),
		root:     root,
		confPath: filepath.Join(root, "conf", "registry.json"),
		storage:  filepath.Join(root, "storage"),
		certDir:  filepath.Join(root, "certs"),
		password: "pw:" + randomHex(8) + ":x",
		readPass: "ro:" + randomHex(8),
	}
	bundle, err := tlsgen.Generate("127.0.0.1")
	require.NoError(t, err)
	require.NoError(t, bundle.Write(filepath.Join(root, "tls")))
	s.caPEM = bundle.CAPEM
	require.NoError(t, os.MkdirAll(s.certDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(s.certDir, "ca.crt"), s.caPEM, 0o644))
	require.NoError(t, os.MkdirAll(filepath.Dir(s.confPath), 0o700))

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(s.caPEM))
	s.client = &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		// a redirect would hide what the registry answered
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(s.client.CloseIdleConnections)

	cfg := s.baseConfig()
	for _, c := range configure {
		c(&cfg)
	}
	s.writeConfig(cfg)
	t.Cleanup(s.stop)
	t.Cleanup(func() {
		if t.Failed() {
			s.dumpLogs()
		}
	})
	s.start()
	return s
}

func (s *server) baseConfig() registryd.Config {
	return registryd.Config{
		Version:    registryd.ConfigVersion,
		Listen:     []string{"127.0.0.1"},
		Port:       0,
		TLSDir:     filepath.Join(s.root, "tls"),
		StorageDir: s.storage,
		Secret:     registryd.NewSecret(),
		Users: []registryd.User{
			{Name: writeUser, Password: s.password, Access: "write"},
			{Name: readUser, Password: s.readPass, Access: "read"},
		},
	}
}

func (s *server) writeConfig(cfg registryd.Config) {
	b, err := cfg.Marshal()
	require.NoError(s.t, err)
	require.NoError(s.t, os.WriteFile(s.confPath, b, 0o600))
}

// config is the configuration as the registry reads it.
func (s *server) config() registryd.Config {
	cfg, err := registryd.Load(s.confPath)
	require.NoError(s.t, err)
	return cfg
}

func (s *server) logPath(n int) string {
	return filepath.Join(s.root, fmt.Sprintf("registry.%d.log", n))
}

var servingRE = regexp.MustCompile(`address=https://127\.0\.0\.1:(\d+)`)

// start runs `buildset_registry serve --config <file>` and waits until
// it answers the ping with 401. The first start learns the port the
// registry picked and writes it into the configuration.
func (s *server) start() {
	t := s.t
	t.Helper()
	require.Nil(t, s.cmd, "the registry is already running")
	s.starts++
	logPath := s.logPath(s.starts)
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	defer logf.Close()
	cmd := exec.Command(s.bin, "serve", "--config", s.confPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.exited)

	deadline := time.Now().Add(startTimeout)
	if s.port == 0 {
		for s.port == 0 {
			s.requireAlive(deadline, logPath)
			out, _ := os.ReadFile(logPath)
			if m := servingRE.FindSubmatch(out); m != nil {
				s.port, _ = strconv.Atoi(string(m[1]))
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cfg := s.config()
		cfg.Port = s.port
		s.writeConfig(cfg)
	}
	s.host = "127.0.0.1:" + strconv.Itoa(s.port)
	for {
		s.requireAlive(deadline, logPath)
		resp, err := s.ping()
		if err == nil {
			resp.Body.Close()
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the ping must ask for authentication")
			t.Logf("registry started at https://%s (pid %d, start %d)", s.host, cmd.Process.Pid, s.starts)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping sends GET /v2/, bounded in time.
func (s *server) ping() (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("/v2/"), nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	// the body is empty or "{}": read it before the context ends
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp, nil
}

// requireAlive fails the test if the process exited or the deadline passed.
func (s *server) requireAlive(deadline time.Time, logPath string) {
	select {
	case <-s.exited:
		out, _ := os.ReadFile(logPath)
		s.cmd = nil
		s.t.Fatalf("the registry exited during start:\n%s", out)
	default:
	}
	if time.Now().After(deadline) {
		out, _ := os.ReadFile(logPath)
		s.t.Fatalf("the registry did not answer within %s:\n%s", startTimeout, out)
	}
}

// stop ends the process with SIGTERM (SIGKILL after stopTimeout). It is
// a no-op when nothing runs.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if code := s.cmd.ProcessState.ExitCode(); code != 0 {
			s.t.Errorf("the registry exited with status %d after SIGTERM, want 0", code)
		}
	case <-time.After(stopTimeout):
		s.t.Errorf("the registry did not stop within %s of SIGTERM: killing it", stopTimeout)
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// kill9 kills the process with SIGKILL: no shutdown, no cleanup.
func (s *server) kill9() {
	s.t.Helper()
	require.NotNil(s.t, s.cmd)
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGKILL))
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		s.t.Fatal("the registry survived SIGKILL")
	}
	s.cmd = nil
}

func (s *server) dumpLogs() {
	for n := 1; n <= s.starts; n++ {
		out, err := os.ReadFile(s.logPath(n))
		if err != nil {
			continue
		}
		if len(out) > 8000 {
			out = append([]byte("...\n"), out[len(out)-8000:]...)
		}
		s.t.Logf("registry log (start %d):\n%s", n, out)
	}
}

func (s *server) url(path string) string { return "https://" + s.host + path }

// response is what a raw request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request. auth is a full Authorization header value or "".
func (s *server) do(method, url, auth string, body []byte, header ...string) response {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	if strings.HasPrefix(url, "/") {
		url = s.url(url)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	require.NoError(s.t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := s.client.Do(req)
	require.NoError(s.t, err, "%s %s", method, url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// basic is an Authorization header value with Basic credentials.
func basic(user, password string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(user, password)
	return req.Header.Get("Authorization")
}

// storageFiles lists the regular files under dir, relative to it.
func storageFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}
