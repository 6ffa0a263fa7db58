package registry

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// env is a registry served on loopback by httptest.
type env struct {
	t   *testing.T
	reg *Registry
	srv *httptest.Server
}

func newEnv(t *testing.T, opts ...Option) *env {
	t.Helper()
	reg, err := New(append([]Option{WithDirectory(t.TempDir())}, opts...)...)
	require.NoError(t, err)
	srv := httptest.NewServer(reg)
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, reg.Close())
	})
	return &env{t: t, reg: reg, srv: srv}
}

// response is a finished request: status, headers and body.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request; headers are "Key: value" strings.
func (e *env) do(method, path string, body []byte, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ": ")
		require.True(e.t, ok, h)
		req.Header.Add(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	require.Equal(e.t, "registry/2.0", resp.Header.Get("Docker-Distribution-API-Version"), "%s %s", method, path)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// errorCodes decodes an error body and returns its codes.
func errorCodes(t *testing.T, r response) []string {
	t.Helper()
	var body struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Detail  any    `json:"detail"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &body), "error body %q", r.Body)
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	var codes []string
	for _, e := range body.Errors {
		require.NotEmpty(t, e.Message)
		codes = append(codes, e.Code)
	}
	return codes
}

func sha(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }

func random(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// pushBlob uploads data monolithically into repo and returns its digest.
func (e *env) pushBlob(repo string, data []byte) string {
	e.t.Helper()
	d := sha(data)
	r := e.do("POST", "/v2/"+repo+"/blobs/uploads/?digest="+d, data, "Content-Type: application/octet-stream")
	require.Equal(e.t, http.StatusCreated, r.Status, string(r.Body))
	return d
}

// image pushes a config and a layer and returns their descriptors as JSON.
func (e *env) image(repo string) (config, layer string) {
	e.t.Helper()
	c := random(e.t, 40)
	l := random(e.t, 300)
	config = fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d}`, e.pushBlob(repo, c), len(c))
	layer = fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":%d}`, e.pushBlob(repo, l), len(l))
	return config, layer
}

func imageJSON(mediaType, config string, layers ...string) []byte {
	return []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":%s,"layers":[%s]}`, mediaType, config, strings.Join(layers, ",")))
}

// putManifest PUTs content with its media type and requires a 201.
func (e *env) putManifest(repo, ref, mediaType string, content []byte) string {
	e.t.Helper()
	r := e.do("PUT", "/v2/"+repo+"/manifests/"+ref, content, "Content-Type: "+mediaType)
	require.Equal(e.t, http.StatusCreated, r.Status, string(r.Body))
	return r.Header.Get("Docker-Content-Digest")
}

func hex512(b []byte) string {
	s := sha512.Sum512(b)
	return hex.EncodeToString(s[:])
}

// newServer serves h on loopback until the test ends.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
