package registry

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMonolithicUpload(t *testing.T) {
	e := newEnv(t)
	data := random(t, 5000)
	d := sha(data)
	r := e.do("POST", "/v2/a/b/blobs/uploads/?digest="+d, data, "Content-Type: application/octet-stream")
	require.Equal(t, http.StatusCreated, r.Status)
	require.Equal(t, "/v2/a/b/blobs/"+d, r.Header.Get("Location"))
	require.Equal(t, d, r.Header.Get("Docker-Content-Digest"))

	got := e.do("GET", r.Header.Get("Location"), nil)
	require.Equal(t, http.StatusOK, got.Status)
	require.Equal(t, data, got.Body)
	require.Equal(t, "application/octet-stream", got.Header.Get("Content-Type"))
	require.Equal(t, d, got.Header.Get("Docker-Content-Digest"))
}

func TestPostThenPut(t *testing.T) {
	e := newEnv(t)
	data := random(t, 1000)
	d := sha(data)
	r := e.do("POST", "/v2/r/blobs/uploads/", nil)
	require.Equal(t, http.StatusAccepted, r.Status)
	loc := r.Header.Get("Location")
	id := r.Header.Get("Docker-Upload-UUID")
	require.Equal(t, "/v2/r/blobs/uploads/"+id, loc)
	require.Equal(t, "0-0", r.Header.Get("Range"))

	r = e.do("PUT", loc+"?digest="+d, data)
	require.Equal(t, http.StatusCreated, r.Status)
	require.Equal(t, d, r.Header.Get("Docker-Content-Digest"))
	require.Equal(t, data, e.do("GET", "/v2/r/blobs/"+d, nil).Body)
	require.Equal(t, http.StatusNotFound, e.do("GET", loc, nil).Status, "the session is over")
}

func TestChunkedUpload(t *testing.T) {
	e := newEnv(t)
	data := random(t, 3000)
	d := sha(data)
	r := e.do("POST", "/v2/r/blobs/uploads/", nil)
	loc := r.Header.Get("Location")

	r = e.do("PATCH", loc, data[:1000], "Content-Range: 0-999", "Content-Type: application/octet-stream")
	require.Equal(t, http.StatusAccepted, r.Status)
	require.Equal(t, "0-999", r.Header.Get("Range"))
	loc = r.Header.Get("Location")

	// out of order, overlapping, malformed or of the wrong length: 416 with
	// the current state
	for _, cr := range []string{"1500-2499", "500-1499", "0-999", "nonsense", "1000-1998", "1000-"} {
		r = e.do("PATCH", loc, data[1000:2000], "Content-Range: "+cr)
		require.Equal(t, http.StatusRequestedRangeNotSatisfiable, r.Status, cr)
		require.Equal(t, "0-999", r.Header.Get("Range"), cr)
		require.Equal(t, loc, r.Header.Get("Location"), cr)
		require.Equal(t, []string{codeBlobUploadInvalid}, errorCodes(t, r))
	}
	r = e.do("GET", loc, nil)
	require.Equal(t, http.StatusNoContent, r.Status)
	require.Equal(t, "0-999", r.Header.Get("Range"))

	// the spec's form and a streamed chunk without Content-Range
	r = e.do("PATCH", loc, data[1000:2000], "Content-Range: 1000-1999")
	require.Equal(t, http.StatusAccepted, r.Status)
	r = e.do("PATCH", loc, data[2000:2500])
	require.Equal(t, http.StatusAccepted, r.Status)
	require.Equal(t, "0-2499", r.Header.Get("Range"))

	// the last chunk comes with the PUT
	r = e.do("PUT", loc+"?digest="+d, data[2500:], "Content-Range: 2500-2999")
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, "/v2/r/blobs/"+d, r.Header.Get("Location"))
	require.Equal(t, data, e.do("GET", "/v2/r/blobs/"+d, nil).Body)
}

func TestSHA512Upload(t *testing.T) {
	e := newEnv(t)
	data := random(t, 2000)
	d := "sha512:" + hex512(data)
	r := e.do("POST", "/v2/r/blobs/uploads/", nil)
	r = e.do("PATCH", r.Header.Get("Location"), data)
	r = e.do("PUT", r.Header.Get("Location")+"?digest="+d, nil)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, d, r.Header.Get("Docker-Content-Digest"))
	require.Equal(t, data, e.do("GET", "/v2/r/blobs/"+d, nil).Body)
}

// A digest that does not match is refused and nothing is kept: neither the
// blob nor the session.
func TestUploadDigestMismatch(t *testing.T) {
	e := newEnv(t)
	data := random(t, 1000)
	claimed := sha([]byte("something else"))
	r := e.do("POST", "/v2/r/blobs/uploads/", nil)
	loc := r.Header.Get("Location")
	require.Equal(t, http.StatusAccepted, e.do("PATCH", loc, data).Status)
	r = e.do("PUT", loc+"?digest="+claimed, nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, []string{codeDigestInvalid}, errorCodes(t, r))
	require.Equal(t, http.StatusNotFound, e.do("HEAD", "/v2/r/blobs/"+claimed, nil).Status)
	require.Equal(t, http.StatusNotFound, e.do("HEAD", "/v2/r/blobs/"+sha(data), nil).Status)
	require.Equal(t, http.StatusNotFound, e.do("GET", loc, nil).Status)
}

func TestUploadCancel(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/v2/r/blobs/uploads/", nil)
	loc := r.Header.Get("Location")
	require.Equal(t, http.StatusAccepted, e.do("PATCH", loc, []byte("abc")).Status)
	require.Equal(t, http.StatusNoContent, e.do("DELETE", loc, nil).Status)
	r = e.do("GET", loc, nil)
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Equal(t, []string{codeBlobUploadUnknown}, errorCodes(t, r))
	// a session belongs to its repository
	r = e.do("POST", "/v2/r/blobs/uploads/", nil)
	other := strings.Replace(r.Header.Get("Location"), "/v2/r/", "/v2/s/", 1)
	require.Equal(t, http.StatusNotFound, e.do("GET", other, nil).Status)
}

func TestMount(t *testing.T) {
	a := &recorder{deny: func(s Scope) error {
		if s.Repository == "secret" && s.Actions[0] == ActionPull {
			return &AuthError{Status: http.StatusForbidden, Message: "no"}
		}
		return nil
	}}
	e := newEnv(t, WithAuthorizer(a))
	data := []byte("shared layer")
	d := e.pushBlob("src", data)
	e.pushBlob("secret", data)

	r := e.do("POST", "/v2/dst/blobs/uploads/?mount="+d+"&from=src", nil)
	require.Equal(t, http.StatusCreated, r.Status)
	require.Equal(t, "/v2/dst/blobs/"+d, r.Header.Get("Location"))
	require.Equal(t, d, r.Header.Get("Docker-Content-Digest"))
	require.Equal(t, data, e.do("GET", "/v2/dst/blobs/"+d, nil).Body)

	// anonymous: from anywhere
	r = e.do("POST", "/v2/anon/blobs/uploads/?mount="+d, nil)
	require.Equal(t, http.StatusCreated, r.Status)

	// a source without the blob, unreadable, or malformed: a normal upload
	for _, q := range []string{
		"mount=" + sha([]byte("missing")) + "&from=src",
		"mount=" + d + "&from=nosuch",
		"mount=" + d + "&from=secret",
		"mount=" + d + "&from=../x",
		"mount=sha256:bad&from=src",
	} {
		r = e.do("POST", "/v2/dst2/blobs/uploads/?"+q, nil)
		require.Equal(t, http.StatusAccepted, r.Status, q)
		require.Contains(t, r.Header.Get("Location"), "/v2/dst2/blobs/uploads/", q)
		require.NotEmpty(t, r.Header.Get("Docker-Upload-UUID"))
	}
	require.Equal(t, http.StatusNotFound, e.do("HEAD", "/v2/dst2/blobs/"+d, nil).Status)
}

// An upload resumes across a restart of the registry on the same storage.
func TestUploadSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	data := random(t, 4000)
	reg1, err := New(WithDirectory(dir))
	require.NoError(t, err)
	e1 := &env{t: t, reg: reg1}
	srv1 := newServer(t, reg1)
	e1.srv = srv1
	r := e1.do("POST", "/v2/r/blobs/uploads/", nil)
	loc := r.Header.Get("Location")
	require.Equal(t, http.StatusAccepted, e1.do("PATCH", loc, data[:1000]).Status)
	srv1.Close()
	require.NoError(t, reg1.Close())

	e2 := newEnv(t, WithDirectory(dir))
	r = e2.do("GET", loc, nil)
	require.Equal(t, http.StatusNoContent, r.Status)
	require.Equal(t, "0-999", r.Header.Get("Range"))
	require.Equal(t, http.StatusAccepted, e2.do("PATCH", loc, data[1000:], "Content-Range: 1000-3999").Status)
	r = e2.do("PUT", loc+"?digest="+sha(data), nil)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.True(t, bytes.Equal(data, e2.do("GET", "/v2/r/blobs/"+sha(data), nil).Body))
}

func TestChunkOffset(t *testing.T) {
	tests := []struct {
		contentRange string
		length       int64
		want         int64
		ok           bool
	}{
		{"", 10, -1, true},
		{"0-9", 10, 0, true},
		{"5-14", 10, 5, true},
		{"bytes 5-14/100", 10, 5, true},
		{"bytes=5-14", 10, 5, true},
		{"5-14", -1, 5, true},
		{"5-13", 10, 0, false},
		{"14-5", -1, 0, false},
		{"-5", -1, 0, false},
		{"a-b", -1, 0, false},
		{"5", -1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.contentRange, func(t *testing.T) {
			req, err := http.NewRequest("PATCH", "/", nil)
			require.NoError(t, err)
			req.ContentLength = tt.length
			if tt.contentRange != "" {
				req.Header.Set("Content-Range", tt.contentRange)
			}
			got, err := chunkOffset(req)
			if !tt.ok {
				require.ErrorIs(t, err, errBadRange)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
