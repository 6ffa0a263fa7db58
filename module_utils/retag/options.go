package retag

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gating/containers/module_utils/imagecopy"
)

// Defaults of the options.
const (
	DefaultHubAPI  = "https://hub.docker.com"
	DefaultRetries = 3
	DefaultBackoff = time.Second
	// MaxBackoff caps every wait between tries, a Retry-After's included.
	MaxBackoff      = 2 * time.Minute
	DefaultPageSize = 100 // Hub and quay serve at most 100 tags a page
)

// Option configures a Client; New applies and checks them once.
type Option func(*options) error

type options struct {
	typ Type
	// endpoint is the credentials (also Docker Hub's API login), the CA
	// and the insecure flag, for the registry and the web APIs.
	endpoint imagecopy.Endpoint
	apiToken string
	hubAPI   string
	quayAPI  string
	retries  int
	backoff  time.Duration
	pageSize int
	dryRun   bool
}

// WithType sets the registry's type instead of guessing it from the host.
// Auto (or "") guesses.
func WithType(t Type) Option {
	return func(o *options) error {
		switch t {
		case "", Auto, OCI, Hub, Quay:
			o.typ = t
			return nil
		}
		return fmt.Errorf("registry type %q: want one of auto, oci, hub, quay", t)
	}
}

// WithBasicAuth logs in to the registry (and to Docker Hub's API) as
// username.
func WithBasicAuth(username, password string) Option {
	return func(o *options) error {
		if username == "" && password != "" {
			return errors.New("a password was given without a username")
		}
		if strings.Contains(username, ":") {
			return fmt.Errorf("username %q: must not contain ':'", username)
		}
		// A username without a password is let through (imagecopy's
		// Check is stricter): Docker Hub's API then says what it misses.
		o.endpoint.Username, o.endpoint.Password = username, password
		return nil
	}
}

// WithAPIToken is quay's OAuth application token, sent as a Bearer token
// to quay's API (not to the registry).
func WithAPIToken(token string) Option {
	return func(o *options) error {
		o.apiToken = token
		return nil
	}
}

// WithCA trusts the PEM certificates in pem, besides the system's, for the
// registry and the web APIs.
func WithCA(pem []byte) Option {
	return func(o *options) error {
		if len(pem) == 0 {
			return nil
		}
		err := imagecopy.Endpoint{CA: pem}.Check()
		switch {
		case errors.Is(err, imagecopy.ErrNoCertificate):
			return errors.New("ca: no PEM certificate found")
		case err != nil:
			return fmt.Errorf("ca: %w", err)
		}
		o.endpoint.CA = pem
		return nil
	}
}

// WithInsecure skips TLS verification and lets the registry be reached
// over plain HTTP.
func WithInsecure(insecure bool) Option {
	return func(o *options) error {
		o.endpoint.Insecure = insecure
		return nil
	}
}

// WithHubAPI moves Docker Hub's web API (default https://hub.docker.com).
func WithHubAPI(base string) Option {
	return func(o *options) error {
		if base == "" {
			return nil
		}
		if err := checkBase(base); err != nil {
			return fmt.Errorf("hub API URL %q: %w", base, err)
		}
		o.hubAPI = base
		return nil
	}
}

// WithQuayAPI moves quay's API (default https://<registry host>).
func WithQuayAPI(base string) Option {
	return func(o *options) error {
		if base == "" {
			return nil
		}
		if err := checkBase(base); err != nil {
			return fmt.Errorf("quay API URL %q: %w", base, err)
		}
		o.quayAPI = base
		return nil
	}
}

func checkBase(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("want http(s)://host[:port][/path]")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must have no query or fragment")
	}
	return nil
}

// WithRetries retries each request up to n more times on connection
// errors and on 429 and 5xx answers but 501 and 505 (default 3; see
// imagecopy.Retry).
func WithRetries(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("retries %d: must not be negative", n)
		}
		o.retries = n
		return nil
	}
}

// WithBackoff is the wait before the first retry; it doubles each time,
// unless the server asks for another wait with Retry-After, up to
// MaxBackoff (default 1 s).
func WithBackoff(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("backoff %s: must be positive", d)
		}
		o.backoff = d
		return nil
	}
}

// WithPageSize asks for n tags a page when listing (default 100).
func WithPageSize(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 1000 {
			return fmt.Errorf("page size %d: must be between 1 and 1000", n)
		}
		o.pageSize = n
		return nil
	}
}

// WithDryRun reads everything a call needs and reports what it would
// change, writing nothing (Ansible's check mode).
func WithDryRun(dryRun bool) Option {
	return func(o *options) error {
		o.dryRun = dryRun
		return nil
	}
}

func build(opts []Option) (options, error) {
	o := options{
		typ:      Auto,
		hubAPI:   DefaultHubAPI,
		retries:  DefaultRetries,
		backoff:  DefaultBackoff,
		pageSize: DefaultPageSize,
	}
	var errs []error
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			errs = append(errs, err)
		}
	}
	if o.typ == "" {
		o.typ = Auto
	}
	return o, errors.Join(errs...)
}
