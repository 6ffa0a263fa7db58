// Package registrytest serves our registry on loopback for the tests of
// other packages, as net/http/httptest serves handlers: TLS with a CA of
// its own (or plain HTTP), token authentication for the users given (or
// anyone may do anything), IPv4 or IPv6, and a wrapper to count or break
// requests. Everything stops when the test ends.
package registrytest

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gating/containers/module_utils/registry"
	"github.com/gating/containers/module_utils/registry/auth"
	"github.com/gating/containers/module_utils/tlsgen"
)

// Options says how to serve the registry; the zero value is TLS on
// 127.0.0.1 with no authentication.
type Options struct {
	IPv6  bool        // on [::1] (the test is skipped where there is none)
	Plain bool        // plain HTTP, no TLS
	Users []auth.User // token authentication with these users
	// Wrap, when not nil, wraps the whole server's handler (registry
	// and token endpoint).
	Wrap func(http.Handler) http.Handler
}

// Server is a running registry.
type Server struct {
	Host string // IP literal without brackets: 127.0.0.1 or ::1
	Port int
	Addr string // host:port, [::1]:port for IPv6
	CA   []byte // PEM of the CA that signed its certificate; nil when plain
	HTTP *httptest.Server
}

// Start serves a registry with its storage in a temporary directory.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	mux := http.NewServeMux()
	var authorizer registry.Authorizer = registry.AllowAll{}
	if len(o.Users) > 0 {
		a, err := auth.New(auth.WithUsers(o.Users...))
		if err != nil {
			t.Fatalf("registrytest: %v", err)
		}
		authorizer = a
		mux.Handle(auth.TokenPath, a)
	}
	reg, err := registry.New(registry.WithDirectory(t.TempDir()), registry.WithAuthorizer(authorizer))
	if err != nil {
		t.Fatalf("registrytest: %v", err)
	}
	mux.Handle("/v2/", reg)
	var h http.Handler = mux
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // TLS tests' handshake failures
	s := &Server{Host: "127.0.0.1", HTTP: srv}
	if o.IPv6 {
		l, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			_ = reg.Close()
			t.Skipf("no IPv6 loopback: %v", err)
		}
		srv.Listener.Close()
		srv.Listener = l
		s.Host = "::1"
	}
	if o.Plain {
		srv.Start()
	} else {
		// As the buildset_registry module's, the certificate also covers
		// 127.0.0.1, ::1 and localhost.
		b, err := tlsgen.Generate(s.Host)
		if err != nil {
			t.Fatalf("registrytest: %v", err)
		}
		cert, err := b.TLSCertificate()
		if err != nil {
			t.Fatalf("registrytest: %v", err)
		}
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.StartTLS()
		s.CA = b.CAPEM
	}
	t.Cleanup(func() {
		srv.Close()
		if err := reg.Close(); err != nil {
			t.Errorf("registrytest: closing the registry: %v", err)
		}
	})
	s.Addr = srv.Listener.Addr().String()
	s.Port = srv.Listener.Addr().(*net.TCPAddr).Port
	return s
}
