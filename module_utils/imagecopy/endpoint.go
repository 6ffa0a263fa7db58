package imagecopy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Endpoint is how to reach one side of a copy: its credentials, the CAs
// its certificate chains to, and whether it may be spoken to without
// verified TLS. The zero Endpoint is anonymous and trusts the system
// roots.
type Endpoint struct {
	// Username and Password are sent as HTTP Basic credentials, or traded
	// for a token where the registry asks for one. Both or neither.
	Username string
	Password string
	// CA is PEM text of CA certificates trusted besides the system roots.
	CA []byte
	// CAFile names a PEM file of CA certificates, read by New; it
	// excludes CA.
	CAFile string
	// Insecure allows plain HTTP and TLS without verification, as docker's
	// insecure-registries do: for a registry without TLS, such as a local
	// docker-registry standing in for Docker Hub. Without it a plain-HTTP
	// request is refused.
	Insecure bool
}

// String describes the endpoint without its password.
func (e Endpoint) String() string {
	var parts []string
	if e.Username != "" {
		parts = append(parts, "user "+e.Username)
	} else {
		parts = append(parts, "anonymous")
	}
	switch {
	case e.CAFile != "":
		parts = append(parts, "CA file "+e.CAFile)
	case len(e.CA) > 0:
		parts = append(parts, "CA given")
	}
	if e.Insecure {
		parts = append(parts, "insecure")
	}
	return strings.Join(parts, ", ")
}

// GoString is String, so %#v does not print the password either.
func (e Endpoint) GoString() string { return "imagecopy.Endpoint{" + e.String() + "}" }

// Check reports what is wrong with the endpoint - credentials half given,
// a CA that is not PEM or cannot be read - as New would, without loading
// anything else.
func (e Endpoint) Check() error {
	if err := e.validate(); err != nil {
		return err
	}
	_, err := e.caPool()
	return err
}

func (e Endpoint) validate() error {
	switch {
	case e.Username != "" && e.Password == "":
		return fmt.Errorf("user %q has no password", e.Username)
	case e.Username == "" && e.Password != "":
		return errors.New("a password without a user name")
	case strings.ContainsRune(e.Username, ':'):
		// Basic credentials are split on the first ':'.
		return fmt.Errorf("user %q: the name may not contain ':'", e.Username)
	case len(e.CA) > 0 && e.CAFile != "":
		return errors.New("CA and CAFile exclude each other")
	}
	return nil
}

// Authenticator is the endpoint's credentials for go-containerregistry.
func (e Endpoint) Authenticator() authn.Authenticator {
	if e.Username == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: e.Username, Password: e.Password}
}

// TLSConfig is the TLS client configuration of the endpoint: the system
// roots plus its CAs, or no verification when it is insecure.
func (e Endpoint) TLSConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.Insecure {
		cfg.InsecureSkipVerify = true // what Insecure asks for
		return cfg, nil
	}
	cas, err := e.caPool()
	if err != nil || cas == nil {
		return cfg, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, c := range cas.certs {
		pool.AddCert(c)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// ErrNoCertificate marks a CA (text or file) without a PEM certificate.
var ErrNoCertificate = errors.New("no PEM certificate in it")

// caSet is the endpoint's own CAs.
type caSet struct {
	pool  *x509.CertPool
	certs []*x509.Certificate
}

// caPool reads the endpoint's CAs; nil when it has none.
func (e Endpoint) caPool() (*caSet, error) {
	pemText := e.CA
	source := "CA"
	if e.CAFile != "" {
		var err error
		if pemText, err = os.ReadFile(e.CAFile); err != nil {
			return nil, fmt.Errorf("reading CA file: %w", err)
		}
		source = "CA file " + e.CAFile
	}
	if len(pemText) == 0 {
		return nil, nil
	}
	set := &caSet{pool: x509.NewCertPool()}
	for rest := pemText; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		set.pool.AddCert(c)
		set.certs = append(set.certs, c)
	}
	if len(set.certs) == 0 {
		return nil, fmt.Errorf("%s: %w", source, ErrNoCertificate)
	}
	return set, nil
}

// verifier checks a server's chain for host against the endpoint's CAs,
// and only when they do not vouch for it against the system roots -
// whose loading costs more than the rest of a copy of an image whose
// layers are already there.
type verifier struct {
	cas *caSet
}

func (v *verifier) verify(host string, certs []*x509.Certificate) error {
	if len(certs) == 0 {
		return errors.New("tls: the server sent no certificate")
	}
	opts := x509.VerifyOptions{DNSName: host, Roots: v.cas.pool, Intermediates: x509.NewCertPool()}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := certs[0].Verify(opts)
	if err == nil {
		return nil
	}
	sys, serr := x509.SystemCertPool()
	if serr != nil || sys == nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
	}
	opts.Roots = sys
	if _, err := certs[0].Verify(opts); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
	}
	return nil
}

// Transport is an HTTP/1.1 transport for the endpoint: its TLS
// configuration, connections for jobs parallel transfers, buffers sized
// for bulk data, and plain HTTP refused unless the endpoint is insecure.
// Authentication is not part of it (see Authenticator).
func (e Endpoint) Transport(jobs int) (http.RoundTripper, error) {
	t, err := e.HTTPTransport(jobs)
	if err != nil {
		return nil, err
	}
	return &guard{inner: t, insecure: e.Insecure}, nil
}

// HTTPTransport is Transport without the refusal of plain HTTP, for
// callers whose URLs settle the scheme themselves (an API URL the user
// gave; a loopback registry that docker, too, reaches without TLS).
func (e Endpoint) HTTPTransport(jobs int) (*http.Transport, error) {
	cas, err := e.caPool()
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: e.Insecure}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       cfg,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 5 * time.Minute,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          4 * max(jobs, 1),
		MaxIdleConnsPerHost:   2 * max(jobs, 1),
		// Layers are compressed already; asking for gzip only costs CPU.
		DisableCompression: true,
		// Streams of large blobs: bigger buffers, fewer system calls.
		WriteBufferSize: 256 << 10,
		ReadBufferSize:  256 << 10,
		// HTTP/2 multiplexes parallel blobs over one connection and its
		// flow control slows them; HTTP/1.1 gives each its own.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	if cas != nil && !e.Insecure {
		v := &verifier{cas: cas}
		// Direct connections verify against the endpoint's CAs first.
		t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			raw, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			c := cfg.Clone()
			c.ServerName = host
			c.InsecureSkipVerify = true // verified below, with the host
			c.VerifyConnection = func(cs tls.ConnectionState) error { return v.verify(host, cs.PeerCertificates) }
			hctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			tc := tls.Client(raw, c)
			if err := tc.HandshakeContext(hctx); err != nil {
				raw.Close()
				return nil, err
			}
			return tc, nil
		}
		// Connections through a proxy verify the name they were sent
		// (SNI), which an IP address host does not send.
		proxied := cfg.Clone()
		proxied.InsecureSkipVerify = true // verified below
		proxied.VerifyConnection = func(cs tls.ConnectionState) error {
			if cs.ServerName == "" {
				return errors.New("tls: a registry at an IP address cannot be verified through a proxy: set no_proxy for it")
			}
			return v.verify(cs.ServerName, cs.PeerCertificates)
		}
		t.TLSClientConfig = proxied
	}
	return t, nil
}

// PlainHTTPError is the refusal of a plain-HTTP request to an endpoint
// that is not insecure.
type PlainHTTPError struct {
	Host string
}

func (e *PlainHTTPError) Error() string {
	return fmt.Sprintf("refusing plain HTTP to %s: the registry is not marked insecure", e.Host)
}

// guard refuses plain HTTP to secure endpoints (go-containerregistry falls
// back to it for loopback and private addresses), and notes the
// Retry-After of answers worth retrying for the retry loop.
type guard struct {
	inner    http.RoundTripper
	insecure bool
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.insecure {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &PlainHTTPError{Host: req.URL.Host}
	}
	resp, err := g.inner.RoundTrip(req)
	if err == nil && retryableStatus(resp.StatusCode) {
		if h := hintFrom(req.Context()); h != nil {
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				h.set(d)
			}
		}
	}
	return resp, err
}
