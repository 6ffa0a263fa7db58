// Command faultproxy is a test helper: an HTTP(S) reverse proxy in front of
// a real registry that injects the faults registry clients must survive.
// It forwards real traffic - the registry behind it does the work - and
// can, in this order:
//
//   - refuse connections for a while after it starts (-listen-after: the
//     port is not bound yet, so clients get "connection refused");
//   - answer the first -fail requests (of the methods in -fail-methods)
//     with -status (503 by default; 429 with -retry-after), without
//     forwarding them; -fail -1 answers every such request so;
//   - then forward everything, keeping the client's Host header, so that
//     the registry's Location headers point back at the proxy.
//
// It serves TLS with -cert/-key (the registry's own certificate does, when
// it covers the proxy's address) and trusts -upstream-ca for the registry.
// It listens on loopback addresses only, stops on SIGTERM/SIGINT and by
// itself after -lifetime, and logs one line per request on stderr:
// "<method> <path> -> <status> (injected|forwarded)".
//
//	faultproxy -listen 127.0.0.1:5451 -upstream https://127.0.0.1:5443 \
//	  -upstream-ca ca.pem -cert cert.pem -key key.pem -fail 2 -status 503
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// config is what the flags say.
type config struct {
	Listen      string
	Upstream    string
	UpstreamCA  string
	Cert, Key   string
	ListenAfter time.Duration
	Fail        int
	FailMethods []string
	Status      int
	RetryAfter  int
	Lifetime    time.Duration
	PIDFile     string
}

func main() {
	var c config
	var methods string
	flag.StringVar(&c.Listen, "listen", "", "address to listen on (loopback only), e.g. 127.0.0.1:5451 or [::1]:5451")
	flag.StringVar(&c.Upstream, "upstream", "", "the registry's base URL, e.g. https://127.0.0.1:5443")
	flag.StringVar(&c.UpstreamCA, "upstream-ca", "", "PEM file of CAs to trust for the upstream (besides the system's)")
	flag.StringVar(&c.Cert, "cert", "", "PEM certificate chain to serve TLS with (plain HTTP without)")
	flag.StringVar(&c.Key, "key", "", "PEM key of -cert")
	flag.DurationVar(&c.ListenAfter, "listen-after", 0, "refuse connections for this long after starting")
	flag.IntVar(&c.Fail, "fail", 0, "answer this many requests with -status before forwarding any (-1: all)")
	flag.StringVar(&methods, "fail-methods", "", "comma-separated methods -fail applies to (default: all)")
	flag.IntVar(&c.Status, "status", http.StatusServiceUnavailable, "status of the injected answers")
	flag.IntVar(&c.RetryAfter, "retry-after", 0, "Retry-After seconds sent with injected answers (0: none)")
	flag.DurationVar(&c.Lifetime, "lifetime", 10*time.Minute, "exit after this long, whatever happens")
	flag.StringVar(&c.PIDFile, "pidfile", "", "write the process id here once listening")
	flag.Parse()
	for _, m := range strings.Split(methods, ",") {
		if m = strings.TrimSpace(m); m != "" {
			c.FailMethods = append(c.FailMethods, strings.ToUpper(m))
		}
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "faultproxy:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	h, err := newHandler(c, log.New(os.Stderr, "", log.LstdFlags))
	if err != nil {
		return err
	}
	if err := checkLoopback(c.Listen); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.Lifetime)
	defer cancel()

	select {
	case <-time.After(c.ListenAfter):
	case <-ctx.Done():
		return nil
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	if c.Cert != "" {
		cert, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	if c.PIDFile != "" {
		if err := os.WriteFile(c.PIDFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			ln.Close()
			return err
		}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shut)
	}
}

// checkLoopback refuses to listen anywhere but on a loopback address.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: only loopback IP addresses are allowed", addr)
	}
	return nil
}

// handler injects the faults, then forwards.
type handler struct {
	c     config
	log   *log.Logger
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	injected int
}

func newHandler(c config, logger *log.Logger) (*handler, error) {
	if c.Listen == "" || c.Upstream == "" {
		return nil, errors.New("-listen and -upstream are required")
	}
	if (c.Cert == "") != (c.Key == "") {
		return nil, errors.New("-cert and -key go together")
	}
	if c.Status < 100 || c.Status > 599 {
		return nil, fmt.Errorf("-status %d: not an HTTP status", c.Status)
	}
	target, err := url.Parse(c.Upstream)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("-upstream %q: want http(s)://host:port", c.Upstream)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if c.UpstreamCA != "" {
		pem, err := os.ReadFile(c.UpstreamCA)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-upstream-ca %s: no certificate in it", c.UpstreamCA)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	h := &handler{c: c, log: logger}
	h.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			// The registry builds Location URLs from Host: keep the
			// proxy's, so that clients come back through it.
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		},
		Transport: tr,
		ErrorLog:  logger,
	}
	return h, nil
}

// inject reports whether this request gets the injected answer.
func (h *handler) inject(r *http.Request) bool {
	if len(h.c.FailMethods) > 0 {
		match := false
		for _, m := range h.c.FailMethods {
			match = match || m == r.Method
		}
		if !match {
			return false
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.c.Fail < 0 || h.injected < h.c.Fail {
		h.injected++
		return true
	}
	return false
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.inject(r) {
		// Drain what the client sent, as a server that read it would.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		if h.c.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(h.c.RetryAfter))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(h.c.Status)
		fmt.Fprintf(w, `{"errors":[{"code":"UNAVAILABLE","message":"injected by faultproxy: %d %s"}]}`+"\n",
			h.c.Status, http.StatusText(h.c.Status))
		h.log.Printf("%s %s -> %d (injected)", r.Method, r.URL.Path, h.c.Status)
		return
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	h.proxy.ServeHTTP(rec, r)
	h.log.Printf("%s %s -> %d (forwarded)", r.Method, r.URL.Path, rec.status)
}

// statusRecorder keeps the status the proxy answered with, for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush lets the reverse proxy stream.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
