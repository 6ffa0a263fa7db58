package imagecopy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// retryableStatus: 5xx but 501 Not Implemented and 505, and 429.
func retryableStatus(code int) bool {
	switch {
	case code == http.StatusTooManyRequests:
		return true
	case code == http.StatusNotImplemented || code == http.StatusHTTPVersionNotSupported:
		return false
	}
	return code >= 500 && code <= 599
}

// retryable tells failures worth another try: answers with a retryable
// status, and connections refused, reset or cut short, or timed out.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if se, ok := statusError(err); ok && retryableStatus(se.StatusCode) {
		return true
	}
	for _, e := range []error{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED,
		syscall.EPIPE, syscall.ETIMEDOUT, io.EOF, io.ErrUnexpectedEOF} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// net/http does not export the error of a kept-alive connection the
	// server closed under a request; its text is all there is.
	return strings.Contains(err.Error(), "server closed idle connection")
}

// parseRetryAfter reads a Retry-After value: seconds, or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}

// hint carries the Retry-After of one try from the transport (which sees
// every answer, also those go-containerregistry turns into errors) to the
// retry loop.
type hint struct {
	mu    sync.Mutex
	after time.Duration
	given bool
}

func (h *hint) set(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.after, h.given = d, true
}

func (h *hint) get() (time.Duration, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.after, h.given
}

type hintKey struct{}

func hintFrom(ctx context.Context) *hint {
	h, _ := ctx.Value(hintKey{}).(*hint)
	return h
}

// retrier runs operations with bounded retries and exponential backoff.
type retrier struct {
	retries  int
	delay    time.Duration
	maxDelay time.Duration
	sleep    func(context.Context, time.Duration) error
}

// wait is how long to wait before try attempt+1.
func (r *retrier) wait(attempt int, h *hint) time.Duration {
	if d, ok := h.get(); ok {
		return min(d, r.maxDelay)
	}
	d := r.delay
	for i := 1; i < attempt && d < r.maxDelay; i++ {
		d *= 2
	}
	return min(d, r.maxDelay)
}

// do runs op until it succeeds, fails for good, or has been retried
// r.retries times. host names the registry in connection errors that do
// not name one. The error returned counts the tries.
func (r *retrier) do(ctx context.Context, host string, op func(context.Context) error) error {
	var (
		lastStatus int
		same       int
	)
	for attempt := 1; ; attempt++ {
		h := &hint{}
		err := op(context.WithValue(ctx, hintKey{}, h))
		if err == nil {
			return nil
		}
		status := 0
		if se, ok := statusError(err); ok {
			status = se.StatusCode
		}
		if status == lastStatus {
			same++
		} else {
			lastStatus, same = status, 1
		}
		if !retryable(err) || attempt > r.retries || ctx.Err() != nil {
			return annotate(err, host, attempt, same)
		}
		if serr := r.sleep(ctx, r.wait(attempt, h)); serr != nil {
			return annotate(err, host, attempt, same)
		}
	}
}

// annotate records how often a request was tried in the error it ended
// with, and names the registry in errors of the connection.
func annotate(err error, host string, tries, same int) error {
	if se, ok := statusError(err); ok {
		c := *se
		c.Attempts, c.Tries = same, tries
		return &c
	}
	var ce *ConnectionError
	if errors.As(err, &ce) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ue *url.Error
	var ne net.Error
	if !retryable(err) && !errors.As(err, &ue) && !errors.As(err, &ne) {
		return err // not about the connection: it speaks for itself
	}
	if h := hostOf(err); h != "" {
		host = h
	}
	return &ConnectionError{Registry: host, Tries: tries, Err: err}
}

// Retry is a retry policy for single requests, for clients whose
// requests are small enough to send again whole (a copy retries whole
// operations instead, see retrier.do).
type Retry struct {
	// Retries is how many times a failed request is sent again.
	Retries int
	// Delay is the wait before the first retry; each further one waits
	// twice as long.
	Delay time.Duration
	// MaxDelay caps every wait, a Retry-After's included (never less
	// than Delay).
	MaxDelay time.Duration
}

// RoundTripper wraps next so that a request failing on the connection,
// or answered 5xx (but 501 and 505) or 429, is sent again up to
// r.Retries times, after the answer's Retry-After or the backoff. A
// request whose body cannot be sent again (no GetBody) is sent once.
// The last answer or error is returned as next gave it.
func (r Retry) RoundTripper(next http.RoundTripper) http.RoundTripper {
	return &retryTransport{next: next, r: &retrier{
		retries: r.Retries, delay: r.Delay, maxDelay: max(r.MaxDelay, r.Delay), sleep: sleep,
	}}
}

type retryTransport struct {
	next http.RoundTripper
	r    *retrier
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		again := retryable(err) || err == nil && retryableStatus(resp.StatusCode)
		if !again || attempt > t.r.retries || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
			return resp, err
		}
		h := &hint{}
		if resp != nil {
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				h.set(d)
			}
			discard(resp)
		}
		if err := t.r.sleep(ctx, t.r.wait(attempt, h)); err != nil {
			return nil, err
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(ctx)
			req.Body = body
		}
	}
}
