package registry

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBlobHeadAndRanges(t *testing.T) {
	e := newEnv(t)
	data := random(t, 2048)
	d := e.pushBlob("r", data)

	r := e.do("HEAD", "/v2/r/blobs/"+d, nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "2048", r.Header.Get("Content-Length"))
	require.Equal(t, d, r.Header.Get("Docker-Content-Digest"))
	require.Empty(t, r.Body)

	tests := []struct {
		rng          string
		status       int
		contentRange string
		body         []byte
	}{
		{"bytes=500-1499", http.StatusPartialContent, "bytes 500-1499/2048", data[500:1500]},
		{"bytes=500-", http.StatusPartialContent, "bytes 500-2047/2048", data[500:]},
		{"bytes=-500", http.StatusPartialContent, "bytes 1548-2047/2048", data[1548:]},
		{"bytes=2000-5000", http.StatusPartialContent, "bytes 2000-2047/2048", data[2000:]},
		{"bytes=500-0", http.StatusRequestedRangeNotSatisfiable, "", nil},
		{"bytes=5000-10000", http.StatusRequestedRangeNotSatisfiable, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			r := e.do("GET", "/v2/r/blobs/"+d, nil, "Range: "+tt.rng)
			require.Equal(t, tt.status, r.Status)
			if tt.body != nil {
				require.Equal(t, tt.contentRange, r.Header.Get("Content-Range"))
				require.Equal(t, strconv.Itoa(len(tt.body)), r.Header.Get("Content-Length"))
				require.Equal(t, tt.body, r.Body)
			}
		})
	}

	// a client revalidating its cache
	r = e.do("GET", "/v2/r/blobs/"+d, nil, `If-None-Match: "`+d+`"`)
	require.Equal(t, http.StatusNotModified, r.Status)
}

func TestBlobDelete(t *testing.T) {
	e := newEnv(t)
	data := []byte("layer")
	d := e.pushBlob("a", data)
	e.pushBlob("b", data)
	require.Equal(t, http.StatusAccepted, e.do("DELETE", "/v2/a/blobs/"+d, nil).Status)
	require.Equal(t, http.StatusNotFound, e.do("HEAD", "/v2/a/blobs/"+d, nil).Status)
	require.Equal(t, http.StatusNotFound, e.do("DELETE", "/v2/a/blobs/"+d, nil).Status)
	require.Equal(t, data, e.do("GET", "/v2/b/blobs/"+d, nil).Body, "b keeps it")
}

func TestEmptyBlob(t *testing.T) {
	e := newEnv(t)
	d := e.pushBlob("r", []byte{})
	r := e.do("GET", "/v2/r/blobs/"+d, nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "0", r.Header.Get("Content-Length"))
	require.Empty(t, r.Body)
}
