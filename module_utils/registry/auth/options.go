package auth

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Defaults of the options.
const (
	// DefaultTTL is how long a token lives: long enough for the longest
	// push of a job, so a client never needs a second token for one pull
	// or push.
	DefaultTTL = 6 * time.Hour
	// DefaultService is the service name of the challenge and the
	// audience of the tokens.
	DefaultService = "buildset-registry"
	// SecretSize is the size of a generated secret, and the least a
	// given one may have (RFC 7518 3.2: an HS256 key has at least 256 bits).
	SecretSize = 32
)

// Option configures New.
type Option func(*config) error

type config struct {
	users   []User
	secret  []byte
	ttl     time.Duration
	realm   string
	service string
	now     func() time.Time
}

// WithUsers adds users who may authenticate. User names are unique, may
// not contain ':' and passwords may not be empty.
func WithUsers(users ...User) Option {
	return func(c *config) error {
		c.users = append(c.users, users...)
		return nil
	}
}

// WithSecret sets the key tokens are signed with, at least SecretSize
// bytes. Without it New generates one; a caller that restarts the
// registry persists Secret() and passes it back here, so tokens issued
// before the restart stay valid.
func WithSecret(secret []byte) Option {
	return func(c *config) error {
		if len(secret) < SecretSize {
			return fmt.Errorf("token secret: %d bytes, need at least %d", len(secret), SecretSize)
		}
		c.secret = append([]byte(nil), secret...)
		return nil
	}
}

// WithTTL sets how long issued tokens are valid (default DefaultTTL). It
// must be at least a minute: docker refreshes a token shortly before it
// expires, and treats shorter lifetimes as 60 seconds.
func WithTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Minute {
			return fmt.Errorf("token lifetime %s: must be at least 1m", d)
		}
		c.ttl = d
		return nil
	}
}

// WithRealm fixes the token endpoint URL announced in challenges, e.g.
// public URL + TokenPath. Without it the realm follows the Host each
// client used, so it is reachable under every name and address the
// certificate covers (alias, IP literal, 127.0.0.1 through a forwarder).
func WithRealm(realm string) Option {
	return func(c *config) error {
		u, err := url.Parse(realm)
		if err != nil {
			return fmt.Errorf("token realm %q: %w", realm, err)
		}
		if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
			return fmt.Errorf("token realm %q: want an absolute http(s) URL without user or fragment", realm)
		}
		if !quotable(realm) {
			return fmt.Errorf("token realm %q: contains characters a challenge cannot carry", realm)
		}
		c.realm = realm
		return nil
	}
}

// WithService sets the service name (default DefaultService): clients
// echo it from the challenge to the token endpoint, and it is the
// tokens' audience.
func WithService(name string) Option {
	return func(c *config) error {
		if name == "" || !quotable(name) {
			return fmt.Errorf("service name %q: want printable ASCII without quotes or backslashes", name)
		}
		c.service = name
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

// quotable reports whether s can sit inside a quoted challenge parameter
// without escapes: printable ASCII, no '"' and no '\'.
func quotable(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x20 || b > 0x7e || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}
