package retag

// The HTTP stack every request of this package goes through: TLS trust
// (system roots plus the given CA, or no verification), retries with
// backoff and Retry-After, and, for the registry, the distribution auth
// handshake of go-containerregistry. It is kept in this one file so it can
// be shared with the image copy later.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

const (
	maxBackoff    = 30 * time.Second
	maxRetryAfter = 2 * time.Minute
	headerTimeout = 2 * time.Minute
)

// newTransport is the base transport: TLS and retries, no credentials.
func newTransport(o options) http.RoundTripper {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pool.AppendCertsFromPEM(o.ca) // checked by WithCA
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig: &tls.Config{
			RootCAs:            pool,
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: o.insecure, //nolint:gosec // asked for with insecure
		},
	}
	return &retrier{next: t, retries: o.retries, backoff: o.backoff}
}

// registryTransport authenticates to repo's registry for actions
// ("pull", "pull,push", ...): a Bearer token from the registry's token
// service, or Basic auth, whichever the registry asks for.
func registryTransport(ctx context.Context, repo name.Repository, base http.RoundTripper, o options, actions string) (http.RoundTripper, error) {
	auth := authn.Anonymous
	if o.username != "" {
		auth = authn.FromConfig(authn.AuthConfig{Username: o.username, Password: o.password})
	}
	rt, err := transport.NewWithContext(ctx, repo.Registry, auth, base, []string{repo.Scope(actions)})
	if err != nil {
		return nil, fmt.Errorf("authenticating to %s for %s on %s: %w", repo.RegistryStr(), actions, repo.RepositoryStr(), err)
	}
	return rt, nil
}

// retrier retries requests that failed on the network or were answered
// 408, 429 or 5xx, when their body can be sent again.
type retrier struct {
	next    http.RoundTripper
	retries int
	backoff time.Duration
}

func (r *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		resp, err := r.next.RoundTrip(req)
		if attempt >= r.retries || !retryable(resp, err) || (req.Body != nil && req.GetBody == nil) {
			return resp, err
		}
		wait := r.wait(attempt, resp)
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
		if req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, gerr
			}
			req = req.Clone(ctx)
			req.Body = body
		}
	}
}

func retryable(resp *http.Response, err error) bool {
	if err != nil {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// wait is the server's Retry-After (seconds or a date, capped), or the
// backoff doubled for each earlier attempt.
func (r *retrier) wait(attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(d, maxRetryAfter)
		}
	}
	d := r.backoff
	for i := 0; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
