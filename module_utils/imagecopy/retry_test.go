package imagecopy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A front that fails a few times and recovers: the copy succeeds within
// the bound, waiting as the answers ask.
func TestCopyRetriesAndRecovers(t *testing.T) {
	date := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	for _, tt := range []struct {
		name       string
		status     int
		retryAfter string
		match      func(*http.Request) bool
		times      int
		want       []time.Duration // the waits, with a 1ms retry delay
	}{
		{"503 on the ping", 503, "", path("/v2/"), 3, []time.Duration{1, 2, 4}},
		{"503 on the manifest", 503, "", path("/manifests/"), 2, []time.Duration{1, 2}},
		{"500 on a blob", 500, "", path("/blobs/sha256"), 1, []time.Duration{1}},
		{"429 with Retry-After seconds", 429, "7", path("/manifests/"), 2, []time.Duration{7000, 7000}},
		{"429 with Retry-After date, capped", 429, date, path("/manifests/"), 1, []time.Duration{60000}},
		{"connection reset on the manifest", 0, "", path("/manifests/"), 2, []time.Duration{1, 2}},
		{"connection reset on every request", 0, "", nil, 3, []time.Duration{1, 2, 4}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b := startRegistry(t, setup{}), startRegistry(t, setup{})
			img := a.pushImage("app", "1", "linux/amd64", random(t, 20<<10))
			a.fault.set(tt.times, tt.status, tt.retryAfter, tt.match)
			s := &sleeps{}
			res, err := Copy(context.Background(), a.ref("app:1"), b.ref("app:1"),
				fast(s, WithSource(a.endpoint()), WithDestination(b.endpoint()), WithMaxRetryDelay(time.Minute))...)
			require.NoError(t, err)
			require.Equal(t, img.Digest, res.Digest)
			requireSame(t, img, b, "app", "1")
			require.Equal(t, tt.times, a.fault.injected())
			want := make([]time.Duration, len(tt.want))
			for i, d := range tt.want {
				want[i] = d * time.Millisecond
			}
			got := s.all()
			if tt.status == 0 {
				// Go's transport itself retries a request whose reused
				// connection broke, so some resets need no wait of ours.
				require.NotEmpty(t, got)
				require.LessOrEqual(t, len(got), tt.times)
				require.Equal(t, want[:len(got)], got)
				return
			}
			if strings.Contains(tt.name, "date") {
				// the date is an hour away: capped at the maximum
				require.Equal(t, []time.Duration{time.Minute}, got)
				return
			}
			require.Equal(t, want, got)
		})
	}
}

// A front that keeps failing: the copy gives up after the bound with an
// error naming both images and the registry.
func TestCopyGivesUp(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		match  func(*http.Request) bool
		want   string
	}{
		{"503 on the manifest", 503, path("/manifests/"),
			"answered 503 Service Unavailable 4 times to GET /v2/a/b/manifests/c: UNAVAILABLE: injected 503"},
		{"503 on the ping", 503, path("/v2/"), "answered 503 Service Unavailable 4 times to GET /v2/"},
		{"429 on a blob", 429, path("/blobs/sha256"), "answered 429 Too Many Requests 4 times to GET /v2/a/b/blobs/sha256:"},
		{"connection reset", 0, path("/manifests/"), "failed 4 times"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b := startRegistry(t, setup{}), startRegistry(t, setup{})
			a.pushImage("a/b", "c", "linux/amd64", random(t, 1000))
			a.fault.set(-1, tt.status, "", tt.match)
			s := &sleeps{}
			_, err := Copy(context.Background(), a.ref("a/b:c"), b.ref("x/y:z"),
				fast(s, WithSource(a.endpoint()), WithDestination(b.endpoint()), WithJobs(1))...)
			require.Error(t, err)
			prefix := fmt.Sprintf("copying docker://%s/a/b:c to docker://%s/x/y:z: registry %s ", a.Host, b.Host, a.Host)
			require.True(t, strings.HasPrefix(err.Error(), prefix), err.Error())
			require.Contains(t, err.Error(), tt.want)
			require.Len(t, s.all(), 3)
			if tt.status != 0 {
				require.Equal(t, 4, a.fault.injected())
				var se *StatusError
				require.True(t, errors.As(err, &se))
				require.Equal(t, tt.status, se.StatusCode)
				require.Equal(t, 4, se.Tries)
			}
			require.False(t, b.hasManifest("x/y", "z"))
		})
	}
}

// The IPv6 form of the message the module shows.
func TestCopyGivesUpIPv6(t *testing.T) {
	a, b := startRegistry(t, setup{ipv6: true}), startRegistry(t, setup{ipv6: true})
	a.pushImage("a/b", "c", "linux/amd64", random(t, 1000))
	a.fault.set(-1, 503, "", path("/manifests/"))
	_, err := Copy(context.Background(), a.ref("a/b:c"), b.ref("a/b:c"),
		fast(&sleeps{}, WithSource(a.endpoint()), WithDestination(b.endpoint()))...)
	require.ErrorContains(t, err, fmt.Sprintf("copying docker://%s/a/b:c to docker://%s/a/b:c: registry %s answered 503 Service Unavailable 4 times",
		a.Host, b.Host, a.Host))
}

// Other 4xx answers are final.
func TestCopyDoesNotRetryClientErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		from   string
		want   string
	}{
		{"missing tag", 0, "app:nope", "answered 404 Not Found to GET /v2/app/manifests/nope: MANIFEST_UNKNOWN"},
		{"injected 401", 401, "app:1", "answered 401 Unauthorized to GET /v2/app/manifests/1"},
		{"injected 403", 403, "app:1", "answered 403 Forbidden to GET /v2/app/manifests/1"},
		{"injected 408", 408, "app:1", "answered 408 Request Timeout"},
		{"injected 501", 501, "app:1", "answered 501 Not Implemented"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b := startRegistry(t, setup{}), startRegistry(t, setup{})
			a.pushImage("app", "1", "linux/amd64", random(t, 1000))
			if tt.status != 0 {
				a.fault.set(-1, tt.status, "", path("/manifests/"))
			}
			a.log.reset()
			s := &sleeps{}
			_, err := Copy(context.Background(), a.ref(tt.from), b.ref("app:1"),
				fast(s, WithSource(a.endpoint()), WithDestination(b.endpoint()))...)
			require.ErrorContains(t, err, "registry "+a.Host+" "+tt.want)
			require.Empty(t, s.all())
			require.Equal(t, 1, a.log.count("GET", "/manifests/"))
		})
	}
}

// Nobody listening: refused, retried, named.
func TestCopyConnectionRefused(t *testing.T) {
	b := startRegistry(t, setup{})
	addr := freePort(t)
	s := &sleeps{}
	_, err := Copy(context.Background(), addr+"/a/b:c", b.ref("a/b:c"),
		fast(s, WithDestination(b.endpoint()))...)
	require.ErrorContains(t, err, "registry "+addr+" failed 4 times")
	require.ErrorContains(t, err, "connection refused")
	require.Len(t, s.all(), 3)

	s = &sleeps{}
	_, err = Copy(context.Background(), addr+"/a/b:c", b.ref("a/b:c"),
		fast(s, WithDestination(b.endpoint()), WithRetries(0))...)
	require.ErrorContains(t, err, "registry "+addr+": ")
	require.Empty(t, s.all())
}

// A cancelled copy stops waiting.
func TestCopyCancelled(t *testing.T) {
	a, b := startRegistry(t, setup{}), startRegistry(t, setup{})
	a.pushImage("app", "1", "linux/amd64", random(t, 1000))
	a.fault.set(-1, 503, "", path("/manifests/"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Copy(ctx, a.ref("app:1"), b.ref("app:1"), WithSource(a.endpoint()), WithDestination(b.endpoint()))
	require.ErrorIs(t, err, context.Canceled)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{"120", 2 * time.Minute, true},
		{" 5 ", 5 * time.Second, true},
		{"999999999999", 24 * time.Hour, true},
		{"-1", 0, false},
		{"-3", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"Fri, 27 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Fri, 27 Nov 2026 11:00:00 GMT", 0, true},
	} {
		got, ok := parseRetryAfter(tt.in, now)
		require.Equal(t, tt.ok, ok, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestRetrierWaits(t *testing.T) {
	r := &retrier{delay: time.Second, maxDelay: 5 * time.Second}
	var got []time.Duration
	for attempt := 1; attempt <= 5; attempt++ {
		got = append(got, r.wait(attempt, &hint{}))
	}
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}, got)
	h := &hint{}
	h.set(3 * time.Second)
	require.Equal(t, 3*time.Second, r.wait(4, h))
	h.set(time.Hour)
	require.Equal(t, 5*time.Second, r.wait(1, h))
}

// A PUT answered 503 twice (Retry-After: 0) then 201 arrives three times
// with its whole body; with fewer retries the 503 is the answer.
func TestRetryRoundTripperResendsBody(t *testing.T) {
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
		c := &http.Client{Transport: Retry{Retries: tc.retries, Delay: time.Millisecond}.RoundTripper(http.DefaultTransport)}
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

// 404 and 501 are answers, not failures; a body that cannot be sent
// again is sent once.
func TestRetryRoundTripperLeavesOtherAnswers(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	status := http.StatusNotFound
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(status)
	}))
	defer srv.Close()
	c := &http.Client{Transport: Retry{Retries: 3, Delay: time.Millisecond}.RoundTripper(http.DefaultTransport)}
	for _, s := range []int{http.StatusNotFound, http.StatusNotImplemented} {
		calls, status = 0, s
		resp, err := c.Get(srv.URL)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, s, resp.StatusCode)
		require.Equal(t, 1, calls, s)
	}

	calls, status = 0, http.StatusServiceUnavailable
	req, err := http.NewRequest(http.MethodPut, srv.URL, io.NopCloser(strings.NewReader("once")))
	require.NoError(t, err)
	require.Nil(t, req.GetBody)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, 1, calls)
}

// The waits: the backoff doubling, a Retry-After honoured and capped; a
// refused connection is retried as often.
func TestRetryRoundTripperWaits(t *testing.T) {
	var mu sync.Mutex
	var after []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if len(after) > 0 {
			if after[0] != "" {
				w.Header().Set("Retry-After", after[0])
			}
			after = after[1:]
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	for _, tt := range []struct {
		name  string
		after []string
		url   string
		want  []time.Duration
	}{
		{"backoff", []string{"", "", ""}, srv.URL, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"Retry-After", []string{"3", "3600"}, srv.URL, []time.Duration{3 * time.Second, 5 * time.Second}},
		{"refused", nil, "http://" + freePort(t), []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			after = tt.after
			mu.Unlock()
			s := &sleeps{}
			rt := Retry{Retries: 3, Delay: time.Second, MaxDelay: 5 * time.Second}.RoundTripper(http.DefaultTransport)
			rt.(*retryTransport).r.sleep = s.sleep
			resp, err := (&http.Client{Transport: rt}).Get(tt.url)
			if tt.after == nil {
				require.ErrorContains(t, err, "connection refused")
			} else {
				require.NoError(t, err)
				resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode)
			}
			require.Equal(t, tt.want, s.all())
		})
	}
}
