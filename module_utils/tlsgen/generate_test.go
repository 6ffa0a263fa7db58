package tlsgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) Option { return withClock(func() time.Time { return t }) }

func ips(ss ...string) []net.IP {
	out := make([]net.IP, len(ss))
	for i, s := range ss {
		out[i] = net.ParseIP(s)
	}
	return out
}

// verifyName checks the chain as a client connecting by name would.
func verifyName(b *Bundle, name string, at time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(b.CA)
	_, err := b.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

func TestGenerateNames(t *testing.T) {
	fixedIPs := []string{"127.0.0.1", "::1"}
	fixedDNS := []string{Alias, "localhost"}
	for _, tc := range []struct {
		host string
		dns  []string
		ips  []string
	}{
		{"203.0.113.7", fixedDNS, append(fixedIPs, "203.0.113.7")},
		{"2001:db8::1", fixedDNS, append(fixedIPs, "2001:db8::1")},
		{"[2001:db8::1]", fixedDNS, append(fixedIPs, "2001:db8::1")},
		{"::ffff:198.51.100.2", fixedDNS, append(fixedIPs, "198.51.100.2")},
		{"127.0.0.1", fixedDNS, fixedIPs},
		{"::1", fixedDNS, fixedIPs},
		{"Node-1.Example.org.", append(fixedDNS, "node-1.example.org"), fixedIPs},
		{Alias, fixedDNS, fixedIPs},
	} {
		t.Run(tc.host, func(t *testing.T) {
			b, err := Generate(tc.host, fixedClock(epoch))
			require.NoError(t, err)
			require.Equal(t, tc.dns, b.Leaf.DNSNames)
			require.Len(t, b.Leaf.IPAddresses, len(tc.ips))
			for i, ip := range ips(tc.ips...) {
				require.True(t, ip.Equal(b.Leaf.IPAddresses[i]), "IP %d: %s != %s", i, ip, b.Leaf.IPAddresses[i])
			}
			for _, name := range append(append([]string{tc.host}, tc.dns...), tc.ips...) {
				if name == "[2001:db8::1]" || name == "Node-1.Example.org." {
					continue // clients connect without brackets or the root dot
				}
				require.NoError(t, verifyName(b, name, epoch), name)
			}
			require.Error(t, verifyName(b, "192.0.2.99", epoch), "a name not asked for must not verify")
			require.Error(t, verifyName(b, "other.example", epoch))
		})
	}
}

func TestGenerateCertificates(t *testing.T) {
	b, err := Generate("203.0.113.7", fixedClock(epoch))
	require.NoError(t, err)

	require.True(t, b.CA.IsCA)
	require.True(t, b.CA.BasicConstraintsValid)
	require.True(t, b.CA.MaxPathLenZero)
	require.NotZero(t, b.CA.KeyUsage&x509.KeyUsageCertSign)
	require.NoError(t, b.CA.CheckSignatureFrom(b.CA), "the CA is self-signed")
	require.Equal(t, epoch.Add(-backdate), b.CA.NotBefore)
	require.Equal(t, epoch.Add(365*24*time.Hour), b.CA.NotAfter)

	require.False(t, b.Leaf.IsCA)
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, b.Leaf.ExtKeyUsage)
	require.Equal(t, x509.KeyUsageDigitalSignature, b.Leaf.KeyUsage)
	require.Equal(t, epoch.Add(365*24*time.Hour), b.Leaf.NotAfter)
	require.NoError(t, b.Leaf.CheckSignatureFrom(b.CA))
	require.Equal(t, b.CA.SubjectKeyId, b.Leaf.AuthorityKeyId)
	require.NotEqual(t, 0, b.Leaf.SerialNumber.Cmp(b.CA.SerialNumber))

	for _, c := range []*x509.Certificate{b.CA, b.Leaf} {
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		require.True(t, ok, "%T", c.PublicKey)
		require.Equal(t, elliptic.P256(), pub.Curve)
		require.Equal(t, x509.ECDSAWithSHA256, c.SignatureAlgorithm)
		require.Equal(t, 1, c.SerialNumber.Sign())
	}

	// cert.pem: the server certificate, then the CA.
	block, rest := pem.Decode(b.CertPEM)
	require.Equal(t, b.Leaf.Raw, block.Bytes)
	block, rest = pem.Decode(rest)
	require.Equal(t, b.CA.Raw, block.Bytes)
	require.Empty(t, rest)
	block, _ = pem.Decode(b.KeyPEM)
	require.Equal(t, "PRIVATE KEY", block.Type)
	_, err = b.TLSCertificate()
	require.NoError(t, err)

	other, err := Generate("203.0.113.7", fixedClock(epoch))
	require.NoError(t, err)
	require.NotEqual(t, b.CA.Raw, other.CA.Raw, "each generation makes a new CA")
	require.NotEqual(t, b.CA.Subject.CommonName, other.CA.Subject.CommonName)
}

func TestGenerateValidityOptions(t *testing.T) {
	b, err := Generate("192.0.2.1", fixedClock(epoch), WithCAValidity(48*time.Hour), WithServerValidity(24*time.Hour))
	require.NoError(t, err)
	require.Equal(t, epoch.Add(48*time.Hour), b.CA.NotAfter)
	require.Equal(t, epoch.Add(24*time.Hour), b.Leaf.NotAfter)

	b, err = Generate("192.0.2.1", fixedClock(epoch), WithAltNames("registry.internal", "10.0.0.5"))
	require.NoError(t, err)
	require.NoError(t, verifyName(b, "registry.internal", epoch))
	require.NoError(t, verifyName(b, "10.0.0.5", epoch))
}

func TestOptionsRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		want string
	}{
		{"zero CA validity", []Option{WithCAValidity(0)}, "CA validity 0s: must be positive"},
		{"negative server validity", []Option{WithServerValidity(-time.Hour)}, "must be positive"},
		{"server outlives CA", []Option{WithCAValidity(time.Hour), WithServerValidity(2 * time.Hour)}, "exceeds the CA's"},
		{"negative renew", []Option{WithRenewBefore(-time.Second)}, "must not be negative"},
		{"renew longer than validity", []Option{WithServerValidity(time.Hour), WithCAValidity(time.Hour), WithRenewBefore(time.Hour)}, "every run would regenerate"},
		{"bad alt name", []Option{WithAltNames("host:5000")}, `"host:5000"`},
		{"nil clock", []Option{withClock(nil)}, "clock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate("192.0.2.1", tc.opts...)
			require.ErrorContains(t, err, tc.want)
			_, _, err = Ensure(t.TempDir(), "192.0.2.1", tc.opts...)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestDefaultRenewBeforeScales(t *testing.T) {
	c, err := newConfig(nil)
	require.NoError(t, err)
	require.Equal(t, DefaultRenewBefore, c.renewBefore)
	c, err = newConfig([]Option{WithCAValidity(8 * time.Hour), WithServerValidity(4 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, time.Hour, c.renewBefore)
}

func TestHostRejected(t *testing.T) {
	for _, host := range []string{"", " ", "host:5000", "[::1]:5000", "*.example.org", "fe80::1%eth0", "a..b", "-a.example", "a_b/c", "exa mple"} {
		t.Run(host, func(t *testing.T) {
			_, err := Generate(host)
			require.Error(t, err)
			require.Contains(t, err.Error(), host)
			dir := t.TempDir()
			_, changed, err := Ensure(dir, host)
			require.Error(t, err)
			require.False(t, changed)
		})
	}
}
