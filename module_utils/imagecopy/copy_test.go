package imagecopy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/registry/auth"
	"github.com/stretchr/testify/require"
)

func copyOK(t *testing.T, src, dst *server, from, to string, opts ...Option) *Result {
	t.Helper()
	opts = append([]Option{WithSource(src.endpoint()), WithDestination(dst.endpoint())}, opts...)
	res, err := Copy(context.Background(), src.ref(from), dst.ref(to), opts...)
	require.NoError(t, err)
	return res
}

// A single image moves between two TLS registries with different CAs,
// byte for byte, and a second copy changes nothing.
func TestCopyImage(t *testing.T) {
	a, b := startRegistry(t, setup{}), startRegistry(t, setup{})
	img := a.pushImage("gating/app", "v1", "linux/amd64", random(t, 300<<10), random(t, 2000), random(t, 1))

	res := copyOK(t, a, b, "gating/app:v1", "copied/app:latest")
	require.True(t, res.Changed)
	require.Equal(t, img.Digest, res.Digest)
	require.Equal(t, img.MediaType, res.MediaType)
	require.Equal(t, []string{img.Digest}, res.Manifests)
	require.Equal(t, "", res.Previous)
	require.Equal(t, 4, res.Uploaded)
	var size int64
	for _, blob := range img.Blobs {
		size += int64(len(blob))
	}
	require.Equal(t, size, res.Bytes)
	requireSame(t, img, b, "copied/app", "latest")

	b.log.reset()
	again, err := Copy(context.Background(), "docker://"+a.ref("gating/app:v1"), "docker://"+b.ref("copied/app:latest"),
		WithSource(a.endpoint()), WithDestination(b.endpoint()))
	require.NoError(t, err)
	require.False(t, again.Changed)
	require.Equal(t, img.Digest, again.Digest)
	require.Equal(t, img.Digest, again.Previous)
	require.Empty(t, again.Manifests)
	require.Zero(t, b.log.count("PUT", ""))
	require.Zero(t, b.log.count("POST", ""))
	require.Zero(t, b.log.count("HEAD", "/blobs/"))
}

// An index with two platforms keeps every digest over two hops; children
// are written before the index.
func TestCopyIndex(t *testing.T) {
	a, b, c := startRegistry(t, setup{}), startRegistry(t, setup{}), startRegistry(t, setup{})
	shared := random(t, 50<<10)
	amd := a.pushImage("multi", "", "linux/amd64", shared, random(t, 70<<10))
	arm := a.pushImage("multi", "", "linux/arm64", shared, random(t, 60<<10))
	idx := a.pushIndex("multi", "1.0", []string{"linux/amd64", "linux/arm64"}, amd, arm)

	res := copyOK(t, a, b, "multi:1.0", "hop1/multi:1.0")
	require.Equal(t, idx.Digest, res.Digest)
	require.Equal(t, "application/vnd.oci.image.index.v1+json", res.MediaType)
	require.Equal(t, []string{amd.Digest, arm.Digest, idx.Digest}, res.Manifests)
	require.Equal(t, 5, res.Uploaded, "two configs, three distinct layers")
	puts := []string{}
	for _, l := range b.log.all() {
		if strings.HasPrefix(l, "PUT /v2/hop1/multi/manifests/") {
			puts = append(puts, strings.TrimPrefix(l, "PUT /v2/hop1/multi/manifests/"))
		}
	}
	require.Len(t, puts, 3)
	require.ElementsMatch(t, []string{amd.Digest, arm.Digest}, puts[:2])
	require.Equal(t, "1.0", puts[2])

	res2 := copyOK(t, b, c, "hop1/multi:1.0", "hop2/multi:stable", WithJobs(1))
	require.Equal(t, res.Digest, res2.Digest)
	require.Equal(t, res.Manifests, res2.Manifests)
	for _, srv := range []*server{b, c} {
		repo, tag := "hop1/multi", "1.0"
		if srv == c {
			repo, tag = "hop2/multi", "stable"
		}
		requireSame(t, idx, srv, repo, tag)
		requireSame(t, amd, srv, repo, amd.Digest)
		requireSame(t, arm, srv, repo, arm.Digest)
	}
}

// Blobs the destination holds are not sent again.
func TestCopySkipsExistingBlobs(t *testing.T) {
	a, b := startRegistry(t, setup{}), startRegistry(t, setup{})
	base1, base2 := random(t, 100<<10), random(t, 10<<10)
	a.pushImage("app", "1", "linux/amd64", base1, base2, random(t, 5000))
	two := a.pushImage("app", "2", "linux/amd64", base1, base2, random(t, 6000))
	copyOK(t, a, b, "app:1", "app:1")

	b.log.reset()
	res := copyOK(t, a, b, "app:2", "app:2")
	require.Equal(t, 2, res.Uploaded, "the new layer and the new config")
	require.Equal(t, 2, res.Existing)
	require.Equal(t, 2, b.log.count("PUT", "/blobs/uploads/"))
	require.Zero(t, b.log.count("PATCH", ""))
	require.Equal(t, 4, b.log.count("HEAD", "/blobs/"))
	requireSame(t, two, b, "app", "2")
}

// Within one registry blobs are mounted across repositories, not uploaded.
func TestCopyMountsWithinRegistry(t *testing.T) {
	a := startRegistry(t, setup{})
	img := a.pushImage("src/app", "v1", "linux/amd64", random(t, 40<<10), random(t, 30<<10))
	a.log.reset()

	res := copyOK(t, a, a, "src/app:v1", "dst/app:v1")
	require.Equal(t, 3, res.Mounted)
	require.Zero(t, res.Uploaded)
	require.Zero(t, res.Bytes)
	require.Equal(t, 3, a.log.count("POST", "/v2/dst/app/blobs/uploads/?from=src%2Fapp&mount=sha256%3A"))
	require.Zero(t, a.log.count("PUT", "/blobs/uploads/"))
	requireSame(t, img, a, "dst/app", "v1")
}

// A destination holding the manifest but not the tag only gets the tag:
// a retag within a repository moves no blob.
func TestCopyOnlyTags(t *testing.T) {
	a, b := startRegistry(t, setup{}), startRegistry(t, setup{})
	img := a.pushImage("app", "v1", "linux/amd64", random(t, 1000))
	copyOK(t, a, b, "app:v1", "app:v1")

	for _, tt := range []struct {
		name     string
		src      *server
		from, to string
	}{
		{"another registry", a, "app:v1", "app:v2"},
		{"retag in place", b, "app:v1", "app:latest"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b.log.reset()
			res := copyOK(t, tt.src, b, tt.from, tt.to)
			require.True(t, res.Changed)
			require.Equal(t, []string{img.Digest}, res.Manifests)
			require.Zero(t, res.Uploaded+res.Mounted+res.Existing)
			require.Zero(t, b.log.count("HEAD", "/blobs/"))
			require.Zero(t, b.log.count("POST", ""))
			require.Equal(t, 1, b.log.count("PUT", "/manifests/"+strings.TrimPrefix(tt.to, "app:")))
			requireSame(t, img, b, "app", strings.TrimPrefix(tt.to, "app:"))
		})
	}
}

// One platform out of an index: the destination names that image.
func TestCopyPlatform(t *testing.T) {
	a, b := startRegistry(t, setup{}), startRegistry(t, setup{})
	amd := a.pushImage("multi", "", "linux/amd64", random(t, 1000))
	arm := a.pushImage("multi", "", "linux/arm64", random(t, 1000))
	a.pushIndex("multi", "1", []string{"linux/amd64", "linux/arm64"}, amd, arm)

	res := copyOK(t, a, b, "multi:1", "one:1", WithPlatform("linux/arm64/v8"))
	require.Equal(t, arm.Digest, res.Digest)
	require.Equal(t, []string{arm.Digest}, res.Manifests)
	requireSame(t, arm, b, "one", "1")
	require.False(t, b.hasManifest("one", amd.Digest))

	require.False(t, copyOK(t, a, b, "multi:1", "one:1", WithPlatform("linux/arm64")).Changed)

	_, err := Copy(context.Background(), a.ref("multi:1"), b.ref("one:2"),
		WithSource(a.endpoint()), WithDestination(b.endpoint()), WithPlatform("linux/s390x"))
	require.ErrorContains(t, err, "the index has no image for linux/s390x (it has linux/amd64, linux/arm64)")
}

// A dry run reads and reports, and writes nothing.
func TestCopyDryRun(t *testing.T) {
	a, b := startRegistry(t, setup{}), startRegistry(t, setup{})
	amd := a.pushImage("multi", "", "linux/amd64", random(t, 1000))
	arm := a.pushImage("multi", "", "linux/arm64", random(t, 1000))
	idx := a.pushIndex("multi", "1", []string{"linux/amd64", "linux/arm64"}, amd, arm)

	res := copyOK(t, a, b, "multi:1", "multi:1", WithDryRun())
	require.True(t, res.Changed)
	require.Equal(t, idx.Digest, res.Digest)
	require.Equal(t, []string{amd.Digest, arm.Digest, idx.Digest}, res.Manifests)
	require.False(t, b.hasManifest("multi", "1"))
	for _, m := range []string{"PUT", "POST", "PATCH", "DELETE"} {
		require.Zero(t, b.log.count(m, ""), m)
	}

	copyOK(t, a, b, "multi:1", "multi:1")
	require.False(t, copyOK(t, a, b, "multi:1", "multi:1", WithDryRun()).Changed)
}

// IPv6 literals work on both sides.
func TestCopyIPv6(t *testing.T) {
	a, b := startRegistry(t, setup{ipv6: true}), startRegistry(t, setup{ipv6: true})
	require.True(t, strings.HasPrefix(a.Host, "[::1]:"), a.Host)
	img := a.pushImage("a/b", "c", "linux/amd64", random(t, 1000))
	res := copyOK(t, a, b, "a/b:c", "a/b:c")
	require.Equal(t, img.Digest, res.Digest)
	requireSame(t, img, b, "a/b", "c")
	res = copyOK(t, a, b, "a/b@"+img.Digest, "d/e@"+img.Digest)
	require.True(t, res.Changed)
	requireSame(t, img, b, "d/e", img.Digest)
}

// Each side has its own credentials; pushing needs the write user.
func TestCopyCredentials(t *testing.T) {
	const writer, password = "zuul", "s3:cr:et"
	users := []auth.User{{Name: writer, Password: password, Access: auth.AccessWrite},
		{Name: "reader", Password: "read:only", Access: auth.AccessRead}}
	src := startRegistry(t, setup{users: users})
	dst := startRegistry(t, setup{users: users})
	seed := startRegistry(t, setup{})
	img := seed.pushImage("app", "1", "linux/amd64", random(t, 1000))
	_, err := Copy(context.Background(), seed.ref("app:1"), src.ref("app:1"), WithSource(seed.endpoint()),
		WithDestination(Endpoint{Username: writer, Password: password, CA: src.CA}))
	require.NoError(t, err)

	for _, tt := range []struct {
		name    string
		src     Endpoint
		dst     Endpoint
		wantErr string
	}{
		{"anonymous push", Endpoint{CA: src.CA}, Endpoint{CA: dst.CA}, "answered 401 Unauthorized"},
		{"read user push", Endpoint{CA: src.CA}, Endpoint{Username: "reader", Password: "read:only", CA: dst.CA}, "answered 401 Unauthorized"},
		{"wrong password", Endpoint{CA: src.CA}, Endpoint{Username: writer, Password: "wrong", CA: dst.CA}, "answered 401 Unauthorized to GET /auth/token"},
		{"write user", Endpoint{Username: "reader", Password: "read:only", CA: src.CA}, Endpoint{Username: writer, Password: password, CA: dst.CA}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dst.log.reset()
			s := &sleeps{}
			res, err := Copy(context.Background(), src.ref("app:1"), dst.ref("app:1"),
				fast(s, WithSource(tt.src), WithDestination(tt.dst))...)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.Equal(t, img.Digest, res.Digest)
				requireSame(t, img, dst, "app", "1")
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.ErrorContains(t, err, "registry "+dst.Host)
			require.ErrorContains(t, err, "copying docker://"+src.ref("app:1")+" to docker://"+dst.ref("app:1"))
			require.NotContains(t, err.Error(), password)
			require.Empty(t, s.all(), "a 401 is not retried")
		})
	}
}

// Plain HTTP needs Insecure; TLS against an unknown CA fails.
func TestCopyInsecure(t *testing.T) {
	plain, tlsSrv := startRegistry(t, setup{plain: true}), startRegistry(t, setup{})
	img := plain.pushImage("app", "1", "linux/amd64", random(t, 1000))

	_, err := Copy(context.Background(), plain.ref("app:1"), tlsSrv.ref("app:1"),
		fast(&sleeps{}, WithDestination(tlsSrv.endpoint()))...)
	require.ErrorContains(t, err, "refusing plain HTTP to "+plain.Host)

	res, err := Copy(context.Background(), plain.ref("app:1"), tlsSrv.ref("app:1"),
		WithSource(Endpoint{Insecure: true}), WithDestination(tlsSrv.endpoint()))
	require.NoError(t, err)
	require.Equal(t, img.Digest, res.Digest)

	other := startRegistry(t, setup{})
	_, err = Copy(context.Background(), tlsSrv.ref("app:1"), other.ref("app:1"),
		fast(&sleeps{}, WithSource(Endpoint{CA: other.CA}), WithDestination(other.endpoint()))...)
	require.ErrorContains(t, err, "certificate signed by unknown authority")
	require.ErrorContains(t, err, tlsSrv.Host)
}

func TestCopyDigestMismatch(t *testing.T) {
	a, b := startRegistry(t, setup{}), startRegistry(t, setup{})
	img := a.pushImage("app", "1", "linux/amd64", random(t, 10))
	other := "sha256:" + strings.Repeat("0", 64)
	_, err := Copy(context.Background(), a.ref("app:1"), b.ref("app@"+other),
		WithSource(a.endpoint()), WithDestination(b.endpoint()))
	require.ErrorContains(t, err, "the destination names digest "+other+" but the source is "+img.Digest)
}

func TestCopyBadReferences(t *testing.T) {
	for _, tt := range []struct{ src, dst, want string }{
		{"oci:/tmp/layout", "127.0.0.1:1/a:b", "only the docker:// transport is supported, not oci:"},
		{"docker-daemon:local/busybox:latest", "127.0.0.1:1/a:b", "not docker-daemon:"},
		{"127.0.0.1:1/a:b", "https://127.0.0.1:1/a:b", "not https://"},
		{"127.0.0.1:1/a:b", "docker://127.0.0.1:1/A:b", `image reference "docker://127.0.0.1:1/A:b"`},
	} {
		_, err := Copy(context.Background(), tt.src, tt.dst)
		require.ErrorContains(t, err, tt.want)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// The endpoint's own CA does not vouch for a certificate of another host.
func TestCopyChecksTheHostName(t *testing.T) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2),
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"elsewhere.example"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}}
	srv.StartTLS()
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})

	port := srv.Listener.Addr().(*net.TCPAddr).Port
	for _, tt := range []struct{ host, want string }{
		{"127.0.0.1", "cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"},
		{"localhost", "certificate is valid for elsewhere.example, not localhost"},
	} {
		host := fmt.Sprintf("%s:%d", tt.host, port)
		_, err = Copy(context.Background(), host+"/a:b", host+"/c:d", WithRetries(0),
			WithSource(Endpoint{CA: caPEM}), WithDestination(Endpoint{CA: caPEM}))
		require.ErrorContains(t, err, tt.want)
	}
}
