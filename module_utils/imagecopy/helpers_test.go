package imagecopy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/registry/auth"
	"github.com/gating/containers/module_utils/registry/registrytest"
	"github.com/stretchr/testify/require"
)

// server is one of our registries on loopback, behind a request recorder
// and a fault injector.
type server struct {
	t     *testing.T
	Host  string // host:port, [::1]:port for IPv6
	CA    []byte // nil for plain HTTP
	log   *recorder
	fault *fault
	srv   *httptest.Server
}

type setup struct {
	ipv6  bool
	plain bool        // no TLS
	users []auth.User // token authentication with these users
}

func startRegistry(t *testing.T, s setup) *server {
	t.Helper()
	sv := &server{t: t, log: &recorder{}, fault: &fault{}}
	rs := registrytest.Start(t, registrytest.Options{IPv6: s.ipv6, Plain: s.plain, Users: s.users,
		Wrap: func(h http.Handler) http.Handler { return sv.log.wrap(sv.fault.wrap(h)) }})
	sv.Host, sv.CA, sv.srv = rs.Addr, rs.CA, rs.HTTP
	return sv
}

// endpoint is how a copy reaches the server anonymously.
func (s *server) endpoint() Endpoint {
	return Endpoint{CA: s.CA, Insecure: s.CA == nil}
}

func (s *server) ref(repoTag string) string { return s.Host + "/" + repoTag }

// client is an HTTP client trusting the server's CA only.
func (s *server) client() *http.Client {
	if s.CA == nil {
		return &http.Client{}
	}
	pool := x509.NewCertPool()
	require.True(s.t, pool.AppendCertsFromPEM(s.CA))
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func (s *server) base() string {
	if s.CA == nil {
		return "http://" + s.Host
	}
	return "https://" + s.Host
}

// do sends a request straight to the registry, past the fault injector.
func (s *server) do(method, path, contentType string, body []byte, accept ...string) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base()+path, bytes.NewReader(body))
	require.NoError(s.t, err)
	req.Header.Set(bypassHeader, "1")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, a := range accept {
		req.Header.Add("Accept", a)
	}
	resp, err := s.client().Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return resp, b
}

func digest(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }

// pushBlob uploads data into repo in one request.
func (s *server) pushBlob(repo string, data []byte) string {
	s.t.Helper()
	d := digest(data)
	resp, body := s.do("POST", "/v2/"+repo+"/blobs/uploads/?digest="+d, "application/octet-stream", data)
	require.Equal(s.t, http.StatusCreated, resp.StatusCode, string(body))
	return d
}

func (s *server) pushManifest(repo, ref, mediaType string, raw []byte) {
	s.t.Helper()
	resp, body := s.do("PUT", "/v2/"+repo+"/manifests/"+ref, mediaType, raw)
	require.Equal(s.t, http.StatusCreated, resp.StatusCode, string(body))
}

var allManifestTypes = []string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}

// manifest returns the bytes and media type ref names in repo.
func (s *server) manifest(repo, ref string) ([]byte, string) {
	s.t.Helper()
	resp, body := s.do("GET", "/v2/"+repo+"/manifests/"+ref, "", nil, allManifestTypes...)
	require.Equal(s.t, http.StatusOK, resp.StatusCode, "%s %s:%s: %s", s.Host, repo, ref, body)
	return body, resp.Header.Get("Content-Type")
}

func (s *server) hasManifest(repo, ref string) bool {
	s.t.Helper()
	resp, _ := s.do("HEAD", "/v2/"+repo+"/manifests/"+ref, "", nil, allManifestTypes...)
	return resp.StatusCode == http.StatusOK
}

func (s *server) blob(repo, d string) []byte {
	s.t.Helper()
	resp, body := s.do("GET", "/v2/"+repo+"/blobs/"+d, "", nil)
	require.Equal(s.t, http.StatusOK, resp.StatusCode, "%s %s@%s", s.Host, repo, d)
	return body
}

// image is a pushed image: its manifest and the blobs it names.
type image struct {
	Raw       []byte
	MediaType string
	Digest    string
	Blobs     map[string][]byte // digest -> content
}

func random(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// pushImage pushes an image of the given layers for platform (os/arch)
// into repo under tag (none if empty). Its manifest is written with
// unusual spacing and key order, so a copy that re-serialises it would
// change its digest.
func (s *server) pushImage(repo, tag, platform string, layers ...[]byte) image {
	s.t.Helper()
	os, arch, _ := strings.Cut(platform, "/")
	config := []byte(fmt.Sprintf(`{"architecture":%q,"os":%q,"rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":{"nonce":"%x"}}}`,
		arch, os, random(s.t, 8)))
	img := image{MediaType: "application/vnd.oci.image.manifest.v1+json", Blobs: map[string][]byte{}}
	img.Blobs[s.pushBlob(repo, config)] = config
	var descs []string
	for _, l := range layers {
		d := s.pushBlob(repo, l)
		img.Blobs[d] = l
		descs = append(descs, fmt.Sprintf("\n    {\"size\": %d, \"digest\": %q,\n     \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\"}", len(l), d))
	}
	img.Raw = []byte(fmt.Sprintf("{\n  \"schemaVersion\": 2,\n  \"mediaType\": %q,\n  \"config\": {\"size\": %d, \"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": %q},\n  \"layers\": [%s\n  ],\n  \"annotations\": {\"org.example.platform\": %q}\n}\n",
		img.MediaType, len(config), digest(config), strings.Join(descs, ","), platform))
	img.Digest = digest(img.Raw)
	ref := img.Digest
	if tag != "" {
		ref = tag
	}
	s.pushManifest(repo, ref, img.MediaType, img.Raw)
	return img
}

// pushIndex pushes an index of the images (each pushed by digest) under tag.
func (s *server) pushIndex(repo, tag string, platforms []string, images ...image) image {
	s.t.Helper()
	var descs []string
	for i, img := range images {
		os, arch, _ := strings.Cut(platforms[i], "/")
		descs = append(descs, fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d,"platform":{"os":%q,"architecture":%q}}`,
			img.MediaType, img.Digest, len(img.Raw), os, arch))
	}
	idx := image{MediaType: "application/vnd.oci.image.index.v1+json"}
	idx.Raw = []byte(fmt.Sprintf("{\"schemaVersion\":2,  \"mediaType\":%q,\n\"manifests\":[\n%s]}", idx.MediaType, strings.Join(descs, ",\n")))
	idx.Digest = digest(idx.Raw)
	s.pushManifest(repo, tag, idx.MediaType, idx.Raw)
	return idx
}

// requireSame checks that the destination holds the image byte for byte.
func requireSame(t *testing.T, want image, dst *server, repo, ref string) {
	t.Helper()
	raw, ct := dst.manifest(repo, ref)
	require.Equal(t, string(want.Raw), string(raw), "%s %s:%s", dst.Host, repo, ref)
	require.Equal(t, want.MediaType, ct)
	require.Equal(t, want.Digest, digest(raw))
	for d, content := range want.Blobs {
		require.True(t, bytes.Equal(content, dst.blob(repo, d)), "blob %s", d)
	}
}

// bypassHeader marks the tests' own requests, which the recorder and the
// fault injector let through untouched.
const bypassHeader = "X-Test-Bypass"

// recorder notes every request of the copy: "METHOD path?query".
type recorder struct {
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get(bypassHeader) == "" {
			r.mu.Lock()
			line := req.Method + " " + req.URL.Path
			if req.URL.RawQuery != "" {
				line += "?" + req.URL.RawQuery
			}
			r.reqs = append(r.reqs, line)
			r.mu.Unlock()
		}
		h.ServeHTTP(w, req)
	})
}

// count tells how many requests had method and contained part in their
// path and query.
func (r *recorder) count(method, part string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.reqs {
		if strings.HasPrefix(l, method+" ") && strings.Contains(l, part) {
			n++
		}
	}
	return n
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = nil
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

// fault fails the first `times` requests matching match (all when nil; -1
// times: forever) with status, or drops the connection when status is 0.
type fault struct {
	mu         sync.Mutex
	times      int
	status     int
	retryAfter string
	match      func(*http.Request) bool
	hits       int
}

func (f *fault) set(times, status int, retryAfter string, match func(*http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.times, f.status, f.retryAfter, f.match, f.hits = times, status, retryAfter, match, 0
}

func (f *fault) injected() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

func (f *fault) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		f.mu.Lock()
		hit := req.Header.Get(bypassHeader) == "" && f.times != 0 && (f.match == nil || f.match(req))
		status, retryAfter := f.status, f.retryAfter
		if hit {
			f.hits++
			if f.times > 0 {
				f.times--
			}
		}
		f.mu.Unlock()
		if !hit {
			h.ServeHTTP(w, req)
			return
		}
		if status == 0 {
			drop(w)
			return
		}
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"errors":[{"code":"UNAVAILABLE","message":"injected %d"}]}`, status)
	})
}

// drop resets the connection under a request.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // RST, not FIN
	}
	conn.Close()
}

func path(part string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.Contains(r.URL.Path, part) }
}

// sleeps records the waits between tries instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// fast are options for tests: tiny waits, recorded.
func fast(s *sleeps, opts ...Option) []Option {
	return append([]Option{WithRetryDelay(time.Millisecond), withSleep(s.sleep)}, opts...)
}
