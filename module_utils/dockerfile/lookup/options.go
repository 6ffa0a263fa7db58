package lookup

import (
	"errors"
	"time"

	"github.com/gating/containers/module_utils/imagecopy"
)

// Option configures New; New applies and checks them once.
type Option func(*options) error

type options struct {
	endpoint  imagecopy.Endpoint
	retries   int
	delay     time.Duration
	userAgent string
}

// WithEndpoint sets the credentials and CA of the registry (default:
// anonymous, the system's roots).
func WithEndpoint(e imagecopy.Endpoint) Option {
	return func(o *options) error {
		if err := e.Check(); err != nil {
			return err
		}
		o.endpoint = e
		return nil
	}
}

// WithRetries sets how many times a request failing with a connection
// error, a 5xx or a 429 is tried again (default imagecopy.DefaultRetries).
func WithRetries(n int) Option {
	return func(o *options) error {
		if err := imagecopy.CheckRetries(n); err != nil {
			return err
		}
		o.retries = n
		return nil
	}
}

// WithRetryDelay sets the wait before the first retry, doubled for each
// further one (default imagecopy.DefaultRetryDelay).
func WithRetryDelay(d time.Duration) Option {
	return func(o *options) error {
		if err := imagecopy.CheckRetryDelay(d); err != nil {
			return err
		}
		o.delay = d
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

func build(opts []Option) (*options, error) {
	o := &options{
		retries:   imagecopy.DefaultRetries,
		delay:     imagecopy.DefaultRetryDelay,
		userAgent: "gating.containers",
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}
