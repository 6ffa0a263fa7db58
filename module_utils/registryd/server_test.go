package registryd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/tlsgen"
	"github.com/stretchr/testify/require"
)

// testConfig is a configuration on loopback with fresh TLS files.
func testConfig(t *testing.T, listen ...string) (Config, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	b, _, err := tlsgen.Ensure(filepath.Join(dir, "tls"), "127.0.0.1")
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(b.CAPEM))
	c := validConfig()
	c.Listen, c.Port = listen, 0
	c.TLSDir, c.StorageDir = filepath.Join(dir, "tls"), filepath.Join(dir, "storage")
	return c, pool
}

// start serves cfg until the test ends; the returned function stops the
// server and returns what Serve returned.
func start(t *testing.T, cfg Config) (*Server, func() error) {
	t.Helper()
	s, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	stopped := false
	var result error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case result = <-done:
			case <-time.After(ShutdownTimeout + 5*time.Second):
				t.Fatal("Serve did not return after its context ended")
			}
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return s, stop
}

func client(pool *x509.CertPool) *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
}

func TestServeOnEveryAddress(t *testing.T) {
	cfg, pool := testConfig(t, "127.0.0.1", "::1")
	s, stop := start(t, cfg)
	addrs := s.Addrs()
	require.Len(t, addrs, 2)
	c := client(pool)
	for _, a := range addrs {
		base := "https://" + a.String()

		resp, err := c.Get(base + "/v2/")
		require.NoError(t, err, a)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, a)
		require.Equal(t, "registry/2.0", resp.Header.Get("Docker-Distribution-API-Version"))
		require.Contains(t, resp.Header.Get("WWW-Authenticate"), `Bearer realm="`+base+`/auth/token"`)

		// Anyone may pull: a pull token needs no credentials.
		resp, err = c.Get(base + "/auth/token?service=buildset-registry&scope=repository:org/img:pull")
		require.NoError(t, err)
		var tok struct{ Token string }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NotEmpty(t, tok.Token)

		req, err := http.NewRequest(http.MethodGet, base+"/v2/", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err = c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "the token opens /v2/")

		// A login (no scope) needs the write user; the password has ':'.
		for pw, want := range map[string]int{"pw:with:colons": http.StatusOK, "pw": http.StatusUnauthorized} {
			req, err := http.NewRequest(http.MethodGet, base+"/auth/token?service=buildset-registry", nil)
			require.NoError(t, err)
			req.SetBasicAuth("zuul", pw)
			resp, err := c.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, want, resp.StatusCode, "login with password %q", pw)
		}

		resp, err = c.Get(base + "/elsewhere")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
	}

	require.NoError(t, stop(), "a stop through the context is not an error")
	for _, a := range addrs {
		conn, err := net.DialTimeout("tcp", a.String(), time.Second)
		if err == nil {
			conn.Close()
		}
		require.Error(t, err, "%s still accepts connections after the stop", a)
	}
}

func TestServeDualStack(t *testing.T) {
	cfg, pool := testConfig(t) // no listen: "::", IPv4 and IPv6
	s, _ := start(t, cfg)
	addrs := s.Addrs()
	require.Len(t, addrs, 1)
	port := addrs[0].(*net.TCPAddr).Port
	c := client(pool)
	for _, host := range []string{"127.0.0.1", "[::1]"} {
		resp, err := c.Get("https://" + host + ":" + strconv.Itoa(port) + "/v2/")
		require.NoError(t, err, host)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, host)
	}
}

func TestServeRefusesOldTLSAndOtherCAs(t *testing.T) {
	cfg, pool := testConfig(t, "127.0.0.1")
	s, _ := start(t, cfg)
	base := "https://" + s.Addrs()[0].String()

	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	_, err := old.Get(base + "/v2/")
	require.Error(t, err, "TLS 1.1 must be refused")

	_, otherPool := testConfig(t, "127.0.0.1")
	_, err = client(otherPool).Get(base + "/v2/")
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, err, &unknown, "a client trusting another CA must not connect")
}

func TestNewFailures(t *testing.T) {
	cfg, _ := testConfig(t, "127.0.0.1")

	missing := cfg
	missing.TLSDir = filepath.Join(t.TempDir(), "nothing")
	_, err := New(missing)
	require.ErrorContains(t, err, "loading TLS certificate "+filepath.Join(missing.TLSDir, "cert.pem"))

	bad := cfg
	bad.Version = 0
	_, err = New(bad)
	require.ErrorContains(t, err, "version 0")

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	taken := cfg
	taken.Listen = []string{"::1", "127.0.0.1"}
	taken.Port = busy.Addr().(*net.TCPAddr).Port
	_, err = New(taken)
	require.ErrorContains(t, err, "listening on 127.0.0.1:"+strconv.Itoa(taken.Port))
	// The ::1 listener bound first was released again.
	ln, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(taken.Port)))
	require.NoError(t, err)
	ln.Close()

	_, err = New(cfg, WithLogger(nil))
	require.ErrorContains(t, err, "nil logger")
}

func TestServeReturnsListenerErrors(t *testing.T) {
	cfg, _ := testConfig(t, "127.0.0.1")
	s, err := New(cfg)
	require.NoError(t, err)
	// A listener closed under the server makes Serve fail, not hang.
	require.NoError(t, s.lns[0].Close())
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background()) }()
	select {
	case err := <-done:
		require.ErrorContains(t, err, "registryd: serving")
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its listener failed")
	}
}

func TestServeStoresPushes(t *testing.T) {
	cfg, pool := testConfig(t, "127.0.0.1")
	s, _ := start(t, cfg)
	base := "https://" + s.Addrs()[0].String()
	c := client(pool)
	req, err := http.NewRequest(http.MethodPost, base+"/v2/org/img/blobs/uploads/?digest=sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", strings.NewReader("hello"))
	require.NoError(t, err)
	req.SetBasicAuth("zuul", "pw:with:colons")
	resp, err := c.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", body)
	resp, err = c.Get(base + "/v2/org/img/blobs/sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "hello", string(body), "anyone may pull what was pushed")
	require.DirExists(t, filepath.Join(cfg.StorageDir))
}
