package tlsgen

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of the options.
const (
	DefaultCAValidity     = 365 * 24 * time.Hour
	DefaultServerValidity = 365 * 24 * time.Hour
	// DefaultRenewBefore is how long before expiry Ensure replaces the
	// files, unless a validity is so short that a quarter of it is less.
	DefaultRenewBefore = 7 * 24 * time.Hour
)

// Option configures Generate, Current and Ensure.
type Option func(*config) error

type config struct {
	caValidity     time.Duration
	serverValidity time.Duration
	renewBefore    time.Duration
	renewSet       bool
	altNames       []string
	now            func() time.Time
}

// WithCAValidity sets how long the CA is valid (default one year).
func WithCAValidity(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("CA validity %s: must be positive", d)
		}
		c.caValidity = d
		return nil
	}
}

// WithServerValidity sets how long the server certificate is valid
// (default one year); it cannot outlive the CA.
func WithServerValidity(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("server certificate validity %s: must be positive", d)
		}
		c.serverValidity = d
		return nil
	}
}

// WithRenewBefore sets how long before either certificate expires Ensure
// replaces them; it must be shorter than both validities.
func WithRenewBefore(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("renew-before %s: must not be negative", d)
		}
		c.renewBefore, c.renewSet = d, true
		return nil
	}
}

// WithAltNames adds names (DNS names or IP literals) the server
// certificate must cover besides the host and the fixed ones.
func WithAltNames(names ...string) Option {
	return func(c *config) error {
		for _, n := range names {
			if _, err := parseName(n); err != nil {
				return err
			}
		}
		c.altNames = append(c.altNames, names...)
		return nil
	}
}

// withClock replaces the clock, for tests.
func withClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("clock: nil")
		}
		c.now = now
		return nil
	}
}

// newConfig applies opts to the defaults and checks them together.
func newConfig(opts []Option) (config, error) {
	c := config{caValidity: DefaultCAValidity, serverValidity: DefaultServerValidity, now: time.Now}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return config{}, fmt.Errorf("tls: %w", err)
		}
	}
	if c.serverValidity > c.caValidity {
		return config{}, fmt.Errorf("tls: server certificate validity %s exceeds the CA's %s", c.serverValidity, c.caValidity)
	}
	shortest := min(c.caValidity, c.serverValidity)
	if !c.renewSet {
		c.renewBefore = min(DefaultRenewBefore, shortest/4)
	} else if c.renewBefore >= shortest {
		return config{}, fmt.Errorf("tls: renew-before %s is not shorter than the validity %s: every run would regenerate", c.renewBefore, shortest)
	}
	return c, nil
}
