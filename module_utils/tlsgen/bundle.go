package tlsgen

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gating/containers/module_utils/atomicfile"
)

// File names in the directory, and their modes.
const (
	CAFile   = "ca.crt"
	CertFile = "cert.pem"
	KeyFile  = "cert.key"

	publicMode fs.FileMode = 0o644
	keyMode    fs.FileMode = 0o600
)

// ErrInvalid marks files that do not form a bundle: unparsable, a key
// that is not the certificate's, a certificate the CA did not sign.
var ErrInvalid = errors.New("invalid TLS files")

// Bundle is a CA and a server certificate it signed, with the server key.
type Bundle struct {
	CAPEM   []byte // ca.crt: what clients trust
	CertPEM []byte // cert.pem: server certificate, then the CA
	KeyPEM  []byte // cert.key: the server key, PKCS#8

	CA   *x509.Certificate
	Leaf *x509.Certificate
}

// TLSCertificate is the server's certificate chain and key, for a
// tls.Config.
func (b *Bundle) TLSCertificate() (tls.Certificate, error) {
	return tls.X509KeyPair(b.CertPEM, b.KeyPEM)
}

// parse checks that the PEM texts form a bundle and fills CA and Leaf.
func parse(caPEM, certPEM, keyPEM []byte) (*Bundle, error) {
	ca, err := firstCert(caPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CAFile, err)
	}
	if !ca.IsCA {
		return nil, fmt.Errorf("%w: %s is not a CA certificate", ErrInvalid, CAFile)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The error names no key material.
		return nil, fmt.Errorf("%w: %s and %s: %w", ErrInvalid, CertFile, KeyFile, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, CertFile, err)
		}
	}
	if err := leaf.CheckSignatureFrom(ca); err != nil {
		return nil, fmt.Errorf("%w: %s is not signed by %s: %w", ErrInvalid, CertFile, CAFile, err)
	}
	return &Bundle{CAPEM: caPEM, CertPEM: certPEM, KeyPEM: keyPEM, CA: ca, Leaf: leaf}, nil
}

// firstCert parses the first CERTIFICATE block of data.
func firstCert(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%w: no certificate", ErrInvalid)
		}
		if block.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			return c, nil
		}
	}
}

// Load reads the bundle in dir. A missing file gives an error wrapping
// fs.ErrNotExist; files that do not fit together, ErrInvalid.
func Load(dir string) (*Bundle, error) {
	var texts [3][]byte
	for i, f := range []string{CAFile, CertFile, KeyFile} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, fmt.Errorf("loading TLS files from %s: %w", dir, err)
		}
		texts[i] = data
	}
	b, err := parse(texts[0], texts[1], texts[2])
	if err != nil {
		return nil, fmt.Errorf("loading TLS files from %s: %w", dir, err)
	}
	return b, nil
}

// Write writes the bundle into dir (created 0755 if missing), each file
// atomically: the key first and mode 0600, the certificates 0644. A key
// file that others could read is narrowed to 0600 before it is
// replaced. A crash between files leaves a set Load refuses, so Ensure
// starts over.
func (b *Bundle) Write(dir string) error {
	keyPath := filepath.Join(dir, KeyFile)
	if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm() != keyMode {
		if err := os.Chmod(keyPath, keyMode); err != nil {
			return fmt.Errorf("writing TLS files to %s: %w", dir, err)
		}
	}
	for _, f := range []struct {
		name string
		data []byte
		mode fs.FileMode
	}{
		{KeyFile, b.KeyPEM, keyMode},
		{CertFile, b.CertPEM, publicMode},
		{CAFile, b.CAPEM, publicMode},
	} {
		if err := atomicfile.Write(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return fmt.Errorf("writing TLS files to %s: %w", dir, err)
		}
	}
	return nil
}
