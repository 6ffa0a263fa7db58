package imagecopy

import (
	"context"
	"errors"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Defaults of the options.
const (
	// DefaultJobs is how many blobs move at once.
	DefaultJobs = 8
	// DefaultRetries is how many times a failed request is tried again.
	DefaultRetries = 3
	// DefaultRetryDelay is the wait before the first retry; each further
	// retry waits twice as long as the one before.
	DefaultRetryDelay = 2 * time.Second
	// DefaultMaxRetryDelay caps every wait, Retry-After included.
	DefaultMaxRetryDelay = time.Minute
	// MaxJobs bounds WithJobs: each job holds a connection to both sides.
	MaxJobs = 64
	// MaxRetries bounds WithRetries.
	MaxRetries = 100
)

// Option configures New; New applies and validates them once.
type Option func(*options) error

type options struct {
	src, dst    Endpoint
	platform    *v1.Platform // nil: every platform of an index
	jobs        int
	retries     int
	retryDelay  time.Duration
	maxDelay    time.Duration
	maxDelaySet bool
	dryRun      bool
	userAgent   string
	sleep       func(context.Context, time.Duration) error
}

// WithSource sets how to reach the source registry (default: anonymous,
// TLS verified against the system roots).
func WithSource(e Endpoint) Option {
	return func(o *options) error {
		if err := e.validate(); err != nil {
			return fmt.Errorf("source: %w", err)
		}
		o.src = e
		return nil
	}
}

// WithDestination sets how to reach the destination registry (default:
// anonymous, TLS verified against the system roots).
func WithDestination(e Endpoint) Option {
	return func(o *options) error {
		if err := e.validate(); err != nil {
			return fmt.Errorf("destination: %w", err)
		}
		o.dst = e
		return nil
	}
}

// WithPlatform copies only the image of one platform ("os/arch" or
// "os/arch/variant", e.g. "linux/amd64") out of an index, instead of the
// whole index. The destination then names that image, not the index. A
// source that is a single image is copied whatever its platform.
func WithPlatform(platform string) Option {
	return func(o *options) error {
		p, err := parsePlatform(platform)
		if err != nil {
			return err
		}
		o.platform = p
		return nil
	}
}

// WithJobs sets how many blobs move at once (default DefaultJobs, at most
// MaxJobs).
func WithJobs(n int) Option {
	return func(o *options) error {
		if n < 1 || n > MaxJobs {
			return fmt.Errorf("jobs %d: want 1 to %d", n, MaxJobs)
		}
		o.jobs = n
		return nil
	}
}

// CheckRetries refuses a retry count out of 0 to MaxRetries: the one
// bound of every client built on this package's retries.
func CheckRetries(n int) error {
	if n < 0 || n > MaxRetries {
		return fmt.Errorf("retries %d: want 0 to %d", n, MaxRetries)
	}
	return nil
}

// CheckRetryDelay refuses a negative first retry delay.
func CheckRetryDelay(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("retry delay %s: must not be negative", d)
	}
	return nil
}

// WithRetries sets how many times a request failing with a connection
// error, a 5xx or a 429 is tried again (default DefaultRetries; 0 never
// retries).
func WithRetries(n int) Option {
	return func(o *options) error {
		if err := CheckRetries(n); err != nil {
			return err
		}
		o.retries = n
		return nil
	}
}

// WithRetryDelay sets the wait before the first retry (default
// DefaultRetryDelay); each further retry waits twice as long. 0 retries
// at once, unless a Retry-After asks for a wait.
func WithRetryDelay(d time.Duration) Option {
	return func(o *options) error {
		if err := CheckRetryDelay(d); err != nil {
			return err
		}
		o.retryDelay = d
		return nil
	}
}

// WithMaxRetryDelay caps every wait between tries, including the one a
// Retry-After header asks for (default DefaultMaxRetryDelay, and never
// less than the retry delay).
func WithMaxRetryDelay(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("maximum retry delay %s: must be positive", d)
		}
		o.maxDelay = d
		o.maxDelaySet = true
		return nil
	}
}

// WithDryRun makes Copy only read: it reports whether the copy would
// change the destination and which manifests it would write, and writes
// nothing.
func WithDryRun() Option {
	return func(o *options) error {
		o.dryRun = true
		return nil
	}
}

// WithUserAgent names the program in the User-Agent of every request.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if ua == "" {
			return errors.New("user agent: empty")
		}
		o.userAgent = ua
		return nil
	}
}

// withSleep replaces the wait between tries, for tests.
func withSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(o *options) error {
		if sleep == nil {
			return errors.New("sleep: nil")
		}
		o.sleep = sleep
		return nil
	}
}

// build applies opts over the defaults and checks that they fit together.
func build(opts []Option) (*options, error) {
	o := &options{
		jobs:       DefaultJobs,
		retries:    DefaultRetries,
		retryDelay: DefaultRetryDelay,
		maxDelay:   DefaultMaxRetryDelay,
		userAgent:  "gating.containers",
		sleep:      sleep,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.maxDelay < o.retryDelay {
		if o.maxDelaySet {
			return nil, fmt.Errorf("maximum retry delay %s is less than the retry delay %s", o.maxDelay, o.retryDelay)
		}
		o.maxDelay = o.retryDelay
	}
	return o, nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
