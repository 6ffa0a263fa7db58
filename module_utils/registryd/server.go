package registryd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/gating/containers/module_utils/registry"
	"github.com/gating/containers/module_utils/registry/auth"
	"github.com/gating/containers/module_utils/tlsgen"
)

// ShutdownTimeout bounds how long a stopping server waits for requests in
// flight (a long blob upload is cut off after it).
const ShutdownTimeout = 10 * time.Second

// Option configures New.
type Option func(*options) error

type options struct {
	log *slog.Logger
}

// WithLogger receives the server's diagnostics (default: none).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.log = l
		return nil
	}
}

// Server is a registry bound to its addresses, ready to serve.
type Server struct {
	log *slog.Logger
	reg *registry.Registry
	srv *http.Server
	lns []net.Listener
}

// New checks cfg, loads the TLS files, opens the storage and binds every
// listen address. The caller must Serve or Close it.
func New(cfg Config, opts ...Option) (_ *Server, err error) {
	o := options{log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("registryd: %w", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("registryd: %w", err)
	}
	certPath, keyPath := filepath.Join(cfg.TLSDir, tlsgen.CertFile), filepath.Join(cfg.TLSDir, tlsgen.KeyFile)
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("registryd: loading TLS certificate %s and key %s: %w", certPath, keyPath, err)
	}
	secret, _ := cfg.secret()
	users, _ := cfg.users()
	aopts := []auth.Option{auth.WithUsers(users...), auth.WithSecret(secret)}
	if cfg.TokenTTL > 0 {
		aopts = append(aopts, auth.WithTTL(time.Duration(cfg.TokenTTL)))
	}
	authority, err := auth.New(aopts...)
	if err != nil {
		return nil, fmt.Errorf("registryd: %w", err)
	}
	ropts := []registry.Option{
		registry.WithDirectory(cfg.StorageDir),
		registry.WithAuthorizer(authority),
		registry.WithLogger(o.log),
	}
	if cfg.UploadTTL > 0 {
		ropts = append(ropts, registry.WithUploadTTL(time.Duration(cfg.UploadTTL)))
	}
	reg, err := registry.New(ropts...)
	if err != nil {
		return nil, fmt.Errorf("registryd: %w", err)
	}
	s := &Server{log: o.log, reg: reg}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	for _, a := range cfg.listen() {
		ln, err := listen(a, cfg.Port, o.log)
		if err != nil {
			return nil, fmt.Errorf("registryd: %w", err)
		}
		s.lns = append(s.lns, ln)
	}
	mux := http.NewServeMux()
	mux.Handle(auth.TokenPath, authority)
	mux.Handle("/v2/", reg)
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(o.log.Handler(), slog.LevelWarn),
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{cert},
		},
	}
	return s, nil
}

// listen binds addr:port. The unspecified IPv6 address falls back to the
// IPv4 one on a host without IPv6, where upstream's socat failed silently.
func listen(addr string, port int, log *slog.Logger) (net.Listener, error) {
	ip, err := ParseListen(addr)
	if err != nil {
		return nil, err
	}
	hostport := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	ln, err := net.Listen("tcp", hostport)
	if err != nil && ip.String() == DefaultListen && errors.Is(err, syscall.EAFNOSUPPORT) {
		log.Warn("IPv6 is not available: serving IPv4 only", "error", err)
		hostport = net.JoinHostPort("0.0.0.0", strconv.Itoa(port))
		ln, err = net.Listen("tcp", hostport)
	}
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", hostport, err)
	}
	return ln, nil
}

// Addrs are the bound addresses, in the order of Config.Listen.
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, len(s.lns))
	for i, ln := range s.lns {
		out[i] = ln.Addr()
	}
	return out
}

// Serve answers HTTPS on every address until ctx ends, then stops
// accepting, lets requests in flight finish (at most ShutdownTimeout) and
// closes the registry. It returns nil after a stop through ctx, or the
// error that made a listener fail.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, len(s.lns))
	for _, ln := range s.lns {
		s.log.Info("serving", "address", "https://"+ln.Addr().String())
		go func(ln net.Listener) { errc <- s.srv.ServeTLS(ln, "", "") }(ln)
	}
	var err error
	select {
	case <-ctx.Done():
		s.log.Info("stopping")
	case err = <-errc:
		err = fmt.Errorf("registryd: serving: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if serr := s.srv.Shutdown(sctx); serr != nil {
		s.log.Warn("requests cut off at shutdown", "error", serr)
		s.srv.Close()
	}
	s.reg.Close()
	return err
}

// Close releases what New acquired, for a Server that will not Serve.
func (s *Server) Close() error {
	var errs []error
	for _, ln := range s.lns {
		if err := ln.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.reg.Close()
	return errors.Join(errs...)
}

// Run serves cfg until ctx ends: New, then Serve.
func Run(ctx context.Context, cfg Config, opts ...Option) error {
	s, err := New(cfg, opts...)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}
