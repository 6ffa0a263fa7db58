package registry

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

const benchBlobSize = 64 << 20

// benchBlob returns random content of benchBlobSize and its digest.
func benchBlob(b *testing.B) ([]byte, string) {
	data := make([]byte, benchBlobSize)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	return data, sha(data)
}

func benchServer(b *testing.B) *httptest.Server {
	reg, err := New(WithDirectory(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(reg)
	b.Cleanup(func() { srv.Close(); _ = reg.Close() })
	return srv
}

func benchDo(b *testing.B, c *http.Client, method, url string, body io.Reader, want int) *http.Response {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d", method, url, resp.StatusCode)
	}
	return resp
}

// BenchmarkPushStreamed uploads a blob the way docker does: POST, one
// streamed PATCH, PUT with the digest.
func BenchmarkPushStreamed(b *testing.B) {
	data, d := benchBlob(b)
	srv := benchServer(b)
	c := srv.Client()
	b.SetBytes(benchBlobSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		repo := fmt.Sprintf("bench/r%d", i) // a new repository, so the blob is committed each time
		resp := benchDo(b, c, "POST", srv.URL+"/v2/"+repo+"/blobs/uploads/", nil, http.StatusAccepted)
		resp = benchDo(b, c, "PATCH", srv.URL+resp.Header.Get("Location"), io.NopCloser(bytes.NewReader(data)), http.StatusAccepted)
		benchDo(b, c, "PUT", srv.URL+resp.Header.Get("Location")+"?digest="+d, nil, http.StatusCreated)
	}
}

// BenchmarkPull downloads a blob.
func BenchmarkPull(b *testing.B) {
	data, d := benchBlob(b)
	srv := benchServer(b)
	c := srv.Client()
	benchDo(b, c, "POST", srv.URL+"/v2/bench/blobs/uploads/?digest="+d, bytes.NewReader(data), http.StatusCreated)
	b.SetBytes(benchBlobSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchDo(b, c, "GET", srv.URL+"/v2/bench/blobs/"+d, nil, http.StatusOK)
	}
}
