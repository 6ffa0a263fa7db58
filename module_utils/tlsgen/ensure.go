package tlsgen

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrStale marks files Ensure would replace: missing, invalid, not
// covering the host, expiring within the renew-before window, or with a
// key file others could read (that key may have leaked).
var ErrStale = errors.New("TLS files must be regenerated")

// Current returns the bundle in dir if it is fit for host: complete,
// valid, its server certificate verifying from its CA for every name
// Generate would include, neither certificate expiring within the
// renew-before window, the key file 0600. Otherwise the error wraps
// ErrStale; any other error (a file that cannot be read) is a failure
// Ensure does not paper over. Check mode asks this.
func Current(dir, host string, opts ...Option) (*Bundle, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	names, err := sans(host, c.altNames)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return current(c, dir, names)
}

func current(c config, dir string, names []name) (*Bundle, error) {
	stale := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrStale, dir, fmt.Sprintf(format, args...))
	}
	b, err := Load(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrInvalid):
		return nil, fmt.Errorf("%w: %w", ErrStale, err)
	case err != nil:
		return nil, err
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, stale("%s has mode %04o", KeyFile, fi.Mode().Perm())
	}
	now := c.now()
	for _, cert := range []*x509.Certificate{b.CA, b.Leaf} {
		if now.Before(cert.NotBefore) {
			return nil, stale("%q is not valid before %s", cert.Subject.CommonName, cert.NotBefore)
		}
		if cert.NotAfter.Sub(now) < c.renewBefore {
			return nil, stale("%q expires at %s", cert.Subject.CommonName, cert.NotAfter)
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(b.CA)
	for _, n := range names {
		_, err := b.Leaf.Verify(x509.VerifyOptions{
			DNSName:     n.String(),
			Roots:       roots,
			CurrentTime: now,
			KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return nil, stale("%v", err)
		}
	}
	return b, nil
}

// Ensure makes dir hold a CA and a server certificate for host, and
// returns them: the files already there when Current accepts them
// (changed false), else new ones, written atomically (changed true). A
// rerun for the same host changes nothing; another host, an expiring
// certificate or broken files give a new CA and certificate, which
// clients must then be given.
//
// host is the registry host as clients know it: an IPv4 or IPv6 literal
// (an IP name) or a DNS name, without a port.
func Ensure(dir, host string, opts ...Option) (b *Bundle, changed bool, err error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, false, err
	}
	names, err := sans(host, c.altNames)
	if err != nil {
		return nil, false, fmt.Errorf("tls: %w", err)
	}
	b, err = current(c, dir, names)
	if err == nil {
		return b, false, nil
	}
	if !errors.Is(err, ErrStale) {
		return nil, false, fmt.Errorf("tls: %w", err)
	}
	if b, err = generate(c, names); err != nil {
		return nil, false, fmt.Errorf("tls: generating for %q: %w", host, err)
	}
	if err := b.Write(dir); err != nil {
		return nil, false, fmt.Errorf("tls: %w", err)
	}
	return b, true, nil
}
