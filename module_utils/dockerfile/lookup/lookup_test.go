package lookup

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/imagecopy"
	"github.com/gating/containers/module_utils/registry/auth"
	"github.com/gating/containers/module_utils/registry/registrytest"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"
)

const (
	user     = "zuul"
	password = "s3cret:pass"
)

// server is one of our registries on loopback, TLS with its own CA, with
// a write user, behind a fault injector.
type server struct {
	t    *testing.T
	host string // IP literal, no brackets
	port int
	ca   []byte
	// noDigest leaves Docker-Content-Digest out of manifest HEAD answers,
	// as zuul-registry does.
	noDigest atomic.Bool
	// fail answers this many manifest requests with status (503 unless set).
	fail, status atomic.Int32
	// heads and gets count the manifest requests.
	heads, gets atomic.Int32
	srv         *httptest.Server
}

func startRegistry(t *testing.T, ipv6 bool) *server {
	t.Helper()
	s := &server{t: t}
	rs := registrytest.Start(t, registrytest.Options{
		IPv6:  ipv6,
		Users: []auth.User{{Name: user, Password: password, Access: auth.AccessWrite}},
		Wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/manifests/") {
					switch r.Method {
					case http.MethodHead:
						s.heads.Add(1)
					case http.MethodGet:
						s.gets.Add(1)
					}
					if s.fail.Load() > 0 {
						s.fail.Add(-1)
						code := int(s.status.Load())
						if code == 0 {
							code = http.StatusServiceUnavailable
						}
						http.Error(w, "no", code)
						return
					}
					if r.Method == http.MethodHead && s.noDigest.Load() {
						w = &dropDigest{ResponseWriter: w}
					}
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	s.host, s.port, s.ca, s.srv = rs.Host, rs.Port, rs.CA, rs.HTTP
	return s
}

// dropDigest removes Docker-Content-Digest from an answer.
type dropDigest struct{ http.ResponseWriter }

func (d *dropDigest) WriteHeader(code int) {
	d.Header().Del("Docker-Content-Digest")
	d.ResponseWriter.WriteHeader(code)
}

func (s *server) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// push writes a random image as repository:tag and returns its digest.
func (s *server) push(repository, tag string) string {
	s.t.Helper()
	img, err := random.Image(256, 1)
	require.NoError(s.t, err)
	ref, err := name.NewTag(s.addr() + "/" + repository + ":" + tag)
	require.NoError(s.t, err)
	rt, err := imagecopy.Endpoint{CA: s.ca}.Transport(1)
	require.NoError(s.t, err)
	require.NoError(s.t, remote.Write(ref, img, remote.WithTransport(rt),
		remote.WithAuth(&authn.Basic{Username: user, Password: password})))
	d, err := img.Digest()
	require.NoError(s.t, err)
	return d.String()
}

// registry is a Registry for s, with fast retries.
func (s *server) registry(opts ...Option) *Registry {
	s.t.Helper()
	opts = append([]Option{WithEndpoint(imagecopy.Endpoint{CA: s.ca}), WithRetryDelay(time.Millisecond)}, opts...)
	r, err := New(s.host, s.port, opts...)
	require.NoError(s.t, err)
	return r
}

func TestDigest(t *testing.T) {
	for _, ipv6 := range []bool{false, true} {
		t.Run("ipv6="+strconv.FormatBool(ipv6), func(t *testing.T) {
			s := startRegistry(t, ipv6)
			base := s.push("gating/speculative-base", "latest")
			other := s.push("quay.io/gating/other", "3.0")
			r := s.registry()
			require.Equal(t, s.addr(), r.Addr())
			for _, tt := range []struct {
				repository, identifier, want string
			}{
				{"gating/speculative-base", "latest", base},
				{"gating/speculative-base", base, base},
				{"quay.io/gating/other", "3.0", other},
				{"quay.io/gating/other", other, other},
				{"gating/speculative-base", "nope", ""},                      // MANIFEST_UNKNOWN
				{"gating/speculative-base", other, ""},                       // another repository's
				{"library/busybox", "latest", ""},                            // NAME_UNKNOWN
				{"quay.io/gating/absent", "1", ""},                           // NAME_UNKNOWN
				{"library/busybox", "sha256:" + strings.Repeat("0", 64), ""}, // by digest
			} {
				got, found, err := r.Digest(context.Background(), tt.repository, tt.identifier)
				require.NoError(t, err, "%s %s", tt.repository, tt.identifier)
				require.Equal(t, tt.want != "", found, "%s %s", tt.repository, tt.identifier)
				require.Equal(t, tt.want, got, "%s %s", tt.repository, tt.identifier)
			}
			require.Zero(t, s.gets.Load(), "HEAD answers carry the digest: no GET")
		})
	}
}

// With credentials, and brackets around the IPv6 host. (A wrong password
// reads as well: the buildset registry serves pulls anonymously.)
func TestDigestBracketsAndCredentials(t *testing.T) {
	s := startRegistry(t, true)
	want := s.push("a/b", "1")
	for _, pw := range []string{password, "wrong"} {
		r, err := New("[::1]", s.port, WithEndpoint(imagecopy.Endpoint{CA: s.ca, Username: user, Password: pw}))
		require.NoError(t, err)
		got, found, err := r.Digest(context.Background(), "a/b", "1")
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, want, got)
	}
}

// An answer other than 404 fails at once, however the registry says it.
func TestDigestRefused(t *testing.T) {
	s := startRegistry(t, false)
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusBadRequest} {
		s.status.Store(int32(code))
		s.fail.Store(1)
		s.heads.Store(0)
		_, found, err := s.registry().Digest(context.Background(), "a/b", "1")
		require.False(t, found)
		require.ErrorContains(t, err, "registry "+s.addr()+": manifest 1 of a/b: ")
		require.ErrorContains(t, err, strconv.Itoa(code)+" "+http.StatusText(code))
		require.EqualValues(t, 1, s.heads.Load(), "not retried")
	}
}

// zuul-registry leaves the digest out of HEAD answers: it is read with a GET.
func TestDigestHeadWithoutDigest(t *testing.T) {
	s := startRegistry(t, false)
	want := s.push("a/b", "1")
	s.noDigest.Store(true)
	r := s.registry()
	got, found, err := r.Digest(context.Background(), "a/b", "1")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, want, got)
	require.EqualValues(t, 1, s.gets.Load())

	_, found, err = r.Digest(context.Background(), "a/b", "2")
	require.NoError(t, err)
	require.False(t, found)
	require.EqualValues(t, 1, s.gets.Load(), "a 404 needs no GET")
}

func TestDigestRetries(t *testing.T) {
	s := startRegistry(t, false)
	want := s.push("a/b", "1")
	s.heads.Store(0)
	s.fail.Store(2)
	got, found, err := s.registry(WithRetries(2)).Digest(context.Background(), "a/b", "1")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, want, got)
	require.EqualValues(t, 3, s.heads.Load())

	s.heads.Store(0)
	s.fail.Store(100)
	_, found, err = s.registry(WithRetries(2)).Digest(context.Background(), "a/b", "1")
	require.False(t, found)
	require.ErrorContains(t, err, "registry "+s.addr()+": manifest 1 of a/b: ")
	require.ErrorContains(t, err, "503 Service Unavailable")
	require.EqualValues(t, 3, s.heads.Load())
}

// Any failure but "no such manifest" is an error naming the registry.
func TestDigestFailures(t *testing.T) {
	s := startRegistry(t, false)
	other := startRegistry(t, false)
	notRegistry := httptest.NewUnstartedServer(http.NotFoundHandler())
	notRegistry.Config.ErrorLog = log.New(io.Discard, "", 0)
	notRegistry.StartTLS()
	t.Cleanup(notRegistry.Close)
	stopped := startRegistry(t, false)
	stopped.srv.Close()

	for _, tt := range []struct {
		name string
		r    func() (*Registry, error)
		want []string
	}{
		{"refused", func() (*Registry, error) {
			return New(stopped.host, stopped.port, WithEndpoint(imagecopy.Endpoint{CA: stopped.ca}), WithRetries(1), WithRetryDelay(time.Millisecond))
		}, []string{"registry " + stopped.addr() + ": manifest latest of library/busybox: ", "connection refused"}},
		{"wrong CA", func() (*Registry, error) {
			return New(s.host, s.port, WithEndpoint(imagecopy.Endpoint{CA: other.ca}), WithRetries(0))
		}, []string{"registry " + s.addr() + ": ", "certificate signed by unknown authority"}},
		{"system roots only", func() (*Registry, error) {
			return New(s.host, s.port, WithRetries(0))
		}, []string{"registry " + s.addr() + ": ", "certificate"}},
		{"not a registry", func() (*Registry, error) {
			u := notRegistry.Listener.Addr().(*net.TCPAddr)
			return New("127.0.0.1", u.Port, WithEndpoint(imagecopy.Endpoint{Insecure: true}), WithRetries(0))
		}, []string{"404 Not Found"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.r()
			require.NoError(t, err)
			_, found, err := r.Digest(context.Background(), "library/busybox", "latest")
			require.False(t, found)
			require.Error(t, err)
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
			require.NotContains(t, err.Error(), password)
		})
	}
}

func TestNewErrors(t *testing.T) {
	for _, tt := range []struct {
		host string
		port int
		opts []Option
		want string
	}{
		{"", 5000, nil, "lookup: registry host is empty"},
		{"https://x", 5000, nil, "without a scheme"},
		{"a/b", 5000, nil, "is not host[:port]"},
		{"127.0.0.1", 0, nil, "registry port 0: want 1 to 65535"},
		{"127.0.0.1", 65536, nil, "registry port 65536"},
		{"127.0.0.1", 5000, []Option{WithRetries(-1)}, "retries -1: want 0 to 100"},
		{"127.0.0.1", 5000, []Option{WithRetryDelay(-time.Second)}, "retry delay -1s"},
		{"127.0.0.1", 5000, []Option{WithUserAgent("")}, "user agent: empty"},
		{"127.0.0.1", 5000, []Option{WithEndpoint(imagecopy.Endpoint{Username: "u"})}, `user "u" has no password`},
		{"127.0.0.1", 5000, []Option{WithEndpoint(imagecopy.Endpoint{CA: []byte("nonsense")})}, "no PEM certificate"},
	} {
		_, err := New(tt.host, tt.port, tt.opts...)
		require.ErrorContains(t, err, tt.want, "%s %d", tt.host, tt.port)
	}
}
