package retag_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/registry/registrytest"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"
)

// recorder keeps the method and path of every request that passes.
type recorder struct {
	mu   sync.Mutex
	reqs []string // "METHOD /path?query"
}

func (r *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		line := req.Method + " " + req.URL.Path
		if req.URL.RawQuery != "" {
			line += "?" + req.URL.RawQuery
		}
		r.reqs = append(r.reqs, line)
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	})
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = nil
}

// matching lists the requests whose method is one of methods (all when
// none) and whose path contains part.
func (r *recorder) matching(part string, methods ...string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, line := range r.reqs {
		method, _, _ := strings.Cut(line, " ")
		if !strings.Contains(line, part) {
			continue
		}
		if len(methods) == 0 {
			out = append(out, line)
			continue
		}
		for _, m := range methods {
			if m == method {
				out = append(out, line)
			}
		}
	}
	return out
}

// target is a registry under test and how to reach it.
type target struct {
	host  string // host:port
	ca    []byte // PEM, for TLS registries
	user  string
	pass  string
	rec   *recorder
	trust *x509.CertPool
}

func (tg *target) remoteOpts(t *testing.T) []remote.Option {
	t.Helper()
	opts := []remote.Option{}
	if tg.user != "" {
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: tg.user, Password: tg.pass}))
	}
	if tg.trust != nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: tg.trust}
		opts = append(opts, remote.WithTransport(tr))
	}
	return opts
}

// ours serves our registry over plain HTTP on loopback; wrap (when not
// nil) can change its answers.
func ours(t *testing.T, wrap func(http.Handler) http.Handler) *target {
	t.Helper()
	rec := &recorder{}
	s := registrytest.Start(t, registrytest.Options{Plain: true, Wrap: func(h http.Handler) http.Handler {
		if wrap != nil {
			h = wrap(h)
		}
		return rec.wrap(h)
	}})
	return &target{host: s.Addr, rec: rec}
}

// proxied puts a recording TLS reverse proxy in front of tg, so requests
// to a registry we do not control can be counted.
func proxied(t *testing.T, tg *target) *target {
	t.Helper()
	backend, err := url.Parse("https://" + tg.host)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(backend)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: tg.trust}
	proxy.Transport = tr
	rec := &recorder{}
	srv := httptest.NewTLSServer(rec.wrap(proxy))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	ca := pemCert(srv.Certificate())
	return &target{host: strings.TrimPrefix(srv.URL, "https://"), ca: ca, user: tg.user, pass: tg.pass, rec: rec, trust: pool}
}

// image makes a small random image built at created.
func image(t *testing.T, created time.Time, mt types.MediaType) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	require.NoError(t, err)
	img, err = mutate.CreatedAt(img, v1.Time{Time: created})
	require.NoError(t, err)
	return mutate.MediaType(img, mt)
}

// index makes an index of two platforms, built at the given times.
func index(t *testing.T, mt types.MediaType, created ...time.Time) v1.ImageIndex {
	t.Helper()
	child := types.OCIManifestSchema1
	if mt == types.DockerManifestList {
		child = types.DockerManifestSchema2
	}
	var idx v1.ImageIndex = empty.Index
	for i, c := range created {
		arch := []string{"amd64", "arm64", "s390x"}[i]
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        image(t, c, child),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	return mutate.IndexMediaType(idx, mt)
}

func (tg *target) ref(t *testing.T, repo, tag string) name.Reference {
	t.Helper()
	sep := ":"
	if strings.Contains(tag, ":") {
		sep = "@"
	}
	ref, err := name.ParseReference(tg.host + "/" + repo + sep + tag)
	require.NoError(t, err)
	return ref
}

// push writes an image or index under tag and returns its digest.
func (tg *target) push(t *testing.T, repo, tag string, what any) string {
	t.Helper()
	ref := tg.ref(t, repo, tag)
	var d v1.Hash
	var err error
	switch x := what.(type) {
	case v1.Image:
		require.NoError(t, remote.Write(ref, x, tg.remoteOpts(t)...))
		d, err = x.Digest()
	case v1.ImageIndex:
		require.NoError(t, remote.WriteIndex(ref, x, tg.remoteOpts(t)...))
		d, err = x.Digest()
	default:
		t.Fatalf("cannot push %T", what)
	}
	require.NoError(t, err)
	return d.String()
}

// resolve is the digest and media type tag points at; "" when absent.
func (tg *target) resolve(t *testing.T, repo, tag string) (string, types.MediaType) {
	t.Helper()
	desc, err := remote.Get(tg.ref(t, repo, tag), tg.remoteOpts(t)...)
	if err != nil {
		var te interface{ Error() string }
		te = err
		require.Contains(t, te.Error(), "MANIFEST_UNKNOWN", "resolving %s: %v", tag, err)
		return "", ""
	}
	return desc.Digest.String(), desc.MediaType
}

func (tg *target) tags(t *testing.T, repo string) []string {
	t.Helper()
	repoRef, err := name.NewRepository(tg.host + "/" + repo)
	require.NoError(t, err)
	tags, err := remote.List(repoRef, tg.remoteOpts(t)...)
	require.NoError(t, err)
	return tags
}
