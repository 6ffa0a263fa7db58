package registry

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gating/containers/module_utils/registry/storage"
)

func TestPing(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/v2/", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "{}", string(r.Body))
	require.Equal(t, http.StatusOK, e.do("GET", "/v2", nil).Status)
	require.Equal(t, http.StatusOK, e.do("HEAD", "/v2/", nil).Status)
}

// Missing content and bad input get the spec's code and status, never a
// 500, and missing content is a 404 for a client that may read.
func TestErrorResponses(t *testing.T) {
	e := newEnv(t)
	d := sha([]byte("nothing"))
	e.pushBlob("r", []byte("x"))
	tests := []struct {
		method, path string
		body         []byte
		headers      []string
		status       int
		code         string
	}{
		{"GET", "/v2/r/blobs/" + d, nil, nil, 404, codeBlobUnknown},
		{"HEAD", "/v2/r/blobs/" + d, nil, nil, 404, ""},
		{"GET", "/v2/nosuch/blobs/" + d, nil, nil, 404, codeBlobUnknown},
		{"DELETE", "/v2/r/blobs/" + d, nil, nil, 404, codeBlobUnknown},
		{"GET", "/v2/r/manifests/latest", nil, nil, 404, codeManifestUnknown},
		{"GET", "/v2/r/manifests/" + d, nil, nil, 404, codeManifestUnknown},
		{"DELETE", "/v2/r/manifests/latest", nil, nil, 404, codeManifestUnknown},
		{"DELETE", "/v2/r/manifests/" + d, nil, nil, 404, codeManifestUnknown},
		{"GET", "/v2/nosuch/tags/list", nil, nil, 404, codeNameUnknown},
		{"GET", "/v2/r/blobs/uploads/00000000-0000-4000-8000-000000000000", nil, nil, 404, codeBlobUploadUnknown},
		{"PATCH", "/v2/r/blobs/uploads/not-an-id", []byte("x"), nil, 404, codeBlobUploadUnknown},
		{"GET", "/v2/UPPER/tags/list", nil, nil, 400, codeNameInvalid},
		{"GET", "/v2/a//b/manifests/x", nil, nil, 400, codeNameInvalid},
		{"PUT", "/v2/r/manifests/.hidden", []byte("{}"), nil, 400, codeTagInvalid},
		{"GET", "/v2/r/manifests/-x", nil, nil, 400, codeTagInvalid},
		{"GET", "/v2/r/blobs/sha256:abc", nil, nil, 400, codeDigestInvalid},
		{"GET", "/v2/r/blobs/md5:abc", nil, nil, 400, codeDigestInvalid},
		{"GET", "/v2/r/manifests/sha256:baddigeststring", nil, nil, 400, codeDigestInvalid},
		{"PUT", "/v2/r/manifests/sha256:baddigeststring", []byte("{}"), nil, 400, codeDigestInvalid},
		{"GET", "/v2/r/referrers/nodigest", nil, nil, 400, codeDigestInvalid},
		{"PUT", "/v2/r/blobs/uploads/00000000-0000-4000-8000-000000000000", nil, nil, 400, codeDigestInvalid},
		{"POST", "/v2/r/blobs/uploads/?digest=sha256:zz", []byte("x"), nil, 400, codeDigestInvalid},
		{"POST", "/v2/r/blobs/uploads/?digest=" + d, []byte("other"), nil, 400, codeDigestInvalid},
		{"PUT", "/v2/r/manifests/latest", []byte("not json"), []string{"Content-Type: application/vnd.oci.image.manifest.v1+json"}, 400, codeManifestInvalid},
		{"PUT", "/v2/r/manifests/latest", []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`), []string{"Content-Type: application/vnd.oci.image.manifest.v1+json"}, 400, codeManifestInvalid},
		{"GET", "/v2/_catalog?n=-1", nil, nil, 400, codePaginationInvalid},
		{"POST", "/v2/r/manifests/latest", nil, nil, 405, codeUnsupported},
		{"PUT", "/v2/", nil, nil, 405, codeUnsupported},
		{"GET", "/v2/r/unknown/x", nil, nil, 404, codeUnsupported},
		{"GET", "/other", nil, nil, 404, codeUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.body, tt.headers...)
			require.Equal(t, tt.status, r.Status, string(r.Body))
			if tt.method != "HEAD" {
				require.Equal(t, []string{tt.code}, errorCodes(t, r))
			}
		})
	}
	r := e.do("POST", "/v2/r/manifests/latest", nil)
	require.Equal(t, "GET, HEAD, PUT, DELETE", r.Header.Get("Allow"))
}

func TestManifestTooLarge(t *testing.T) {
	e := newEnv(t, WithMaxManifestSize(4096))
	body := []byte(fmt.Sprintf(`{"schemaVersion":2,"annotations":{"a":%q}}`, make([]byte, 5000)))
	r := e.do("PUT", "/v2/r/manifests/latest", body, "Content-Type: application/vnd.oci.image.index.v1+json")
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	require.Equal(t, []string{codeSizeInvalid}, errorCodes(t, r))
}

func TestNewValidatesOptions(t *testing.T) {
	s, err := storage.Open(t.TempDir())
	require.NoError(t, err)
	tests := []struct {
		name string
		opts []Option
		ok   bool
	}{
		{"directory", []Option{WithDirectory(t.TempDir())}, true},
		{"storage", []Option{WithStorage(s)}, true},
		{"nothing", nil, false},
		{"both", []Option{WithDirectory(t.TempDir()), WithStorage(s)}, false},
		{"empty directory", []Option{WithDirectory("")}, false},
		{"nil storage", []Option{WithStorage(nil)}, false},
		{"nil authorizer", []Option{WithStorage(s), WithAuthorizer(nil)}, false},
		{"nil logger", []Option{WithStorage(s), WithLogger(nil)}, false},
		{"zero TTL", []Option{WithStorage(s), WithUploadTTL(0)}, false},
		{"tiny manifests", []Option{WithStorage(s), WithMaxManifestSize(10)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.opts...)
			if tt.ok {
				require.NoError(t, err)
				require.NoError(t, r.Close())
				require.NoError(t, r.Close(), "Close is idempotent")
				return
			}
			require.Error(t, err)
			require.Nil(t, r)
		})
	}
}

// recorder records the scopes asked for and refuses what deny says.
type recorder struct {
	mu     sync.Mutex
	scopes []Scope
	deny   func(Scope) error
}

func (a *recorder) Authorize(_ *http.Request, s Scope) error {
	a.mu.Lock()
	a.scopes = append(a.scopes, s)
	a.mu.Unlock()
	if a.deny != nil {
		return a.deny(s)
	}
	return nil
}

func (a *recorder) take() []Scope {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.scopes
	a.scopes = nil
	return s
}

func TestAuthorizerScopes(t *testing.T) {
	a := &recorder{}
	e := newEnv(t, WithAuthorizer(a))
	d := e.pushBlob("a/b", []byte("blob"))
	a.take()
	pull := []string{ActionPull}
	push := []string{ActionPush}
	del := []string{ActionDelete}
	tests := []struct {
		method, path string
		want         []Scope
	}{
		{"GET", "/v2/", []Scope{{}}},
		{"GET", "/v2/_catalog", []Scope{{Actions: pull}}},
		{"GET", "/v2/a/b/blobs/" + d, []Scope{{"a/b", pull}}},
		{"HEAD", "/v2/a/b/manifests/latest", []Scope{{"a/b", pull}}},
		{"GET", "/v2/a/b/tags/list", []Scope{{"a/b", pull}}},
		{"GET", "/v2/a/b/referrers/" + d, []Scope{{"a/b", pull}}},
		{"PUT", "/v2/a/b/manifests/latest", []Scope{{"a/b", push}}},
		{"POST", "/v2/a/b/blobs/uploads/", []Scope{{"a/b", push}}},
		{"GET", "/v2/a/b/blobs/uploads/00000000-0000-4000-8000-000000000000", []Scope{{"a/b", push}}},
		{"DELETE", "/v2/a/b/blobs/uploads/00000000-0000-4000-8000-000000000000", []Scope{{"a/b", push}}},
		{"DELETE", "/v2/a/b/blobs/" + d, []Scope{{"a/b", del}}},
		{"DELETE", "/v2/a/b/manifests/latest", []Scope{{"a/b", del}}},
		// a mount also reads its source; an anonymous one the registry
		{"POST", "/v2/c/blobs/uploads/?mount=" + d + "&from=a/b", []Scope{{"c", push}, {"a/b", pull}}},
		{"POST", "/v2/c/blobs/uploads/?mount=" + d, []Scope{{"c", push}, {"", pull}}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			e.do(tt.method, tt.path, nil)
			require.Equal(t, tt.want, a.take())
		})
	}
	// no authorization for a request that names no valid repository
	e.do("GET", "/v2/A/tags/list", nil)
	require.Empty(t, a.take())
}

func TestAuthorizerRefusals(t *testing.T) {
	const challenge = `Bearer realm="https://127.0.0.1:5000/auth/token",service="registry"`
	a := &recorder{deny: func(s Scope) error {
		switch {
		case s.Repository == "" && s.Actions == nil:
			return &AuthError{Status: http.StatusUnauthorized, Challenge: challenge, Message: "authentication required"}
		case slices.Contains(s.Actions, ActionPush):
			return &AuthError{Status: http.StatusForbidden, Message: "read-only"}
		}
		return nil
	}}
	e := newEnv(t, WithAuthorizer(a))

	r := e.do("GET", "/v2/", nil)
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, challenge, r.Header.Get("WWW-Authenticate"))
	require.Equal(t, []string{codeUnauthorized}, errorCodes(t, r))

	r = e.do("POST", "/v2/r/blobs/uploads/", nil)
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Empty(t, r.Header.Get("WWW-Authenticate"))
	require.Equal(t, []string{codeDenied}, errorCodes(t, r))

	// reads the authorizer allows still find that nothing is there
	r = e.do("GET", "/v2/r/manifests/latest", nil)
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Equal(t, []string{codeManifestUnknown}, errorCodes(t, r))
}

// An abandoned upload is removed by the sweeper New starts; Close stops it.
func TestSweeperRemovesAbandonedUploads(t *testing.T) {
	e := newEnv(t, WithUploadTTL(100*time.Millisecond))
	r := e.do("POST", "/v2/r/blobs/uploads/", nil)
	require.Equal(t, http.StatusAccepted, r.Status)
	loc := r.Header.Get("Location")
	require.Equal(t, http.StatusNoContent, e.do("GET", loc, nil).Status)
	require.Eventually(t, func() bool {
		return e.do("GET", loc, nil).Status == http.StatusNotFound
	}, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, e.reg.Close())
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		path string
		want route
		ok   bool
	}{
		{"/v2/", route{kind: routePing}, true},
		{"/v2", route{kind: routePing}, true},
		{"/v2/_catalog", route{kind: routeCatalog}, true},
		{"/v2/a/b/blobs/sha256:x", route{routeBlob, "a/b", "sha256:x"}, true},
		{"/v2/a/blobs/uploads/", route{kind: routeUploadStart, name: "a"}, true},
		{"/v2/a/blobs/uploads", route{kind: routeUploadStart, name: "a"}, true},
		{"/v2/a/blobs/uploads/id", route{routeUpload, "a", "id"}, true},
		{"/v2/a/manifests/latest", route{routeManifest, "a", "latest"}, true},
		{"/v2/a/tags/list", route{kind: routeTags, name: "a"}, true},
		{"/v2/a/referrers/sha256:x", route{routeReferrers, "a", "sha256:x"}, true},
		// names may contain the endpoints' words
		{"/v2/blobs/manifests/blobs/blobs/uploads/", route{kind: routeUploadStart, name: "blobs/manifests/blobs"}, true},
		{"/v2/x/manifests/manifests/latest", route{routeManifest, "x/manifests", "latest"}, true},
		{"/v2/tags/tags/list", route{kind: routeTags, name: "tags"}, true},
		{"/v2/a/tags/other", route{}, false},
		{"/v2/a/manifests/", route{}, false},
		{"/v2/a/blobs/", route{}, false},
		{"/v2/a", route{}, false},
		{"/v2x/a/tags/list", route{}, false},
		{"/auth/token", route{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := parseRoute(tt.path)
			require.Equal(t, tt.ok, ok)
			if tt.ok {
				require.Equal(t, tt.want, got)
			}
		})
	}
}

// Whatever a client sends, the answer is not a server error and carries
// the API version header.
func FuzzServeHTTP(f *testing.F) {
	reg, err := New(WithDirectory(f.TempDir()))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = reg.Close() })
	f.Add("GET", "/v2/r/manifests/latest", "", []byte(nil), "")
	f.Add("PUT", "/v2/r/manifests/latest", "application/vnd.oci.image.manifest.v1+json", []byte(`{"schemaVersion":2,"config":{"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":1},"layers":[]}`), "")
	f.Add("POST", "/v2/r/blobs/uploads/?digest=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "", []byte(nil), "")
	f.Add("PATCH", "/v2/r/blobs/uploads/00000000-0000-4000-8000-000000000000", "", []byte("abc"), "0-2")
	f.Add("GET", "/v2/r/tags/list?n=3&last=x", "", []byte(nil), "")
	f.Add("POST", "/v2/r/blobs/uploads/?mount=sha256:abc&from=../x", "", []byte(nil), "")
	f.Add("GET", "/v2/r/referrers/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855?artifactType=x", "", []byte(nil), "")
	f.Fuzz(func(t *testing.T, method, target, contentType string, body []byte, contentRange string) {
		req, err := http.NewRequest(method, "http://registry.test"+target, nil)
		if err != nil || req.URL.Path == "" {
			return
		}
		if body != nil {
			req, _ = http.NewRequest(method, "http://registry.test"+target, bytes.NewReader(body))
		}
		req.Header.Set("Content-Type", contentType)
		if contentRange != "" {
			req.Header.Set("Content-Range", contentRange)
		}
		w := httptest.NewRecorder()
		reg.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s: status %d: %s", method, target, w.Code, w.Body.String())
		}
		if w.Header().Get("Docker-Distribution-API-Version") != "registry/2.0" {
			t.Fatalf("%s %s: no API version header", method, target)
		}
	})
}
