package retag

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"0", 0, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range cases {
		got, ok := retryAfter(tc.header, now)
		require.Equal(t, tc.ok, ok, tc.header)
		require.Equal(t, tc.want, got, tc.header)
	}
}

func TestBackoffDoublesAndCaps(t *testing.T) {
	r := &retrier{backoff: time.Second}
	require.Equal(t, time.Second, r.wait(0, nil))
	require.Equal(t, 4*time.Second, r.wait(2, nil))
	require.Equal(t, maxBackoff, r.wait(20, nil))
	resp := &http.Response{Header: http.Header{"Retry-After": {"3600"}}}
	require.Equal(t, maxRetryAfter, r.wait(0, resp))
}

// A PUT answered 503 twice (Retry-After: 0) then 201 arrives three times
// with its whole body; with fewer retries the 503 is the answer.
func TestRetrierRetriesWithBody(t *testing.T) {
	cases := []struct {
		retries int
		status  int
		calls   int
	}{
		{3, http.StatusCreated, 3},
		{1, http.StatusServiceUnavailable, 2},
		{0, http.StatusServiceUnavailable, 1},
	}
	for _, tc := range cases {
		var mu sync.Mutex
		var bodies []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			n := len(bodies)
			mu.Unlock()
			if n <= 2 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusCreated)
		}))
		c := &http.Client{Transport: newTransport(options{retries: tc.retries, backoff: time.Millisecond})}
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, srv.URL, bytes.NewReader([]byte("payload")))
		require.NoError(t, err)
		resp, err := c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		srv.Close()
		require.Equal(t, tc.status, resp.StatusCode)
		require.Len(t, bodies, tc.calls)
		for _, b := range bodies {
			require.Equal(t, "payload", b)
		}
	}
}

// A 404 is an answer, not a failure: it is not retried.
func TestRetrierLeavesOtherAnswers(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	c := &http.Client{Transport: newTransport(options{retries: 3, backoff: time.Millisecond})}
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 1, calls)
}
