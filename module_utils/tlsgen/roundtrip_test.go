package tlsgen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// serve starts an HTTPS server on network address addr with the bundle
// written to and loaded back from disk, as the registry does.
func serve(t *testing.T, dir, addr string) *httptest.Server {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	require.NoError(t, err)
	require.Len(t, pair.Certificate, 2, "the server presents its certificate and the CA")
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok "+r.Host)
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below are expected
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// client trusts only the PEM file trust, and dials every name to target,
// as /etc/hosts or a forwarder would.
func client(t *testing.T, trust, target string) *http.Client {
	t.Helper()
	pemData, err := os.ReadFile(trust)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(pemData))
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, target)
		},
	}}
}

func TestTLSRoundTrip(t *testing.T) {
	const host = "203.0.113.7" // the registry's ansible_host, reached here through the dialer
	dir := t.TempDir()
	_, _, err := Ensure(dir, host)
	require.NoError(t, err)

	for _, listen := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run(listen, func(t *testing.T) {
			srv := serve(t, dir, listen)
			_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
			require.NoError(t, err)
			target := srv.Listener.Addr().String()
			urls := []string{
				"https://" + net.JoinHostPort(Alias, port) + "/v2/",
				"https://" + net.JoinHostPort("localhost", port) + "/v2/",
				"https://" + net.JoinHostPort(host, port) + "/v2/",
				"https://" + target + "/v2/", // 127.0.0.1 or [::1] itself
			}
			for _, trust := range []string{CAFile, CertFile} {
				c := client(t, filepath.Join(dir, trust), target)
				for _, u := range urls {
					resp, err := c.Get(u)
					require.NoError(t, err, "%s trusting %s", u, trust)
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					require.NoError(t, err)
					require.Equal(t, http.StatusOK, resp.StatusCode)
					require.Contains(t, string(body), "ok ")
				}
			}

			// A name outside the certificate, or a client without the CA, fails.
			c := client(t, filepath.Join(dir, CAFile), target)
			_, err = c.Get("https://" + net.JoinHostPort("other.example", port) + "/v2/")
			var hostErr x509.HostnameError
			require.ErrorAs(t, err, &hostErr)

			other, err := Generate(host)
			require.NoError(t, err)
			otherCA := filepath.Join(t.TempDir(), CAFile)
			require.NoError(t, os.WriteFile(otherCA, other.CAPEM, 0o644))
			_, err = client(t, otherCA, target).Get(urls[0])
			var unknown x509.UnknownAuthorityError
			require.ErrorAs(t, err, &unknown)
		})
	}
}
