package auth

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"time"

	"github.com/gating/containers/module_utils/registry"
)

// TokenPath is where the program mounts the Authority's token endpoint,
// and what the derived realm points to.
const TokenPath = "/auth/token"

// issuer is the "iss" of every token.
const issuer = "gating.containers/buildset-registry"

// leeway is the clock skew tolerated on exp and nbf. Tokens are checked
// by the server that issued them, so only a stepped clock matters.
const leeway = 10 * time.Second

// Authority issues tokens at its token endpoint (ServeHTTP) and checks
// them, or Basic credentials, for the registry (Authorize). It is safe
// for concurrent use.
type Authority struct {
	accounts accounts
	secret   []byte
	ttl      time.Duration
	realm    string // fixed realm, or "" to derive it from each request
	service  string
	now      func() time.Time
}

var (
	_ registry.Authorizer = (*Authority)(nil)
	_ http.Handler        = (*Authority)(nil)
)

// New returns an Authority. Without WithSecret it signs with a fresh
// random secret (see Secret); without WithUsers nobody can push.
func New(opts ...Option) (*Authority, error) {
	c := config{ttl: DefaultTTL, service: DefaultService, now: time.Now}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, fmt.Errorf("registry auth: %w", err)
		}
	}
	as, err := newAccounts(c.users)
	if err != nil {
		return nil, fmt.Errorf("registry auth: %w", err)
	}
	if c.secret == nil {
		c.secret = make([]byte, SecretSize)
		rand.Read(c.secret) // never fails: crypto/rand aborts the program instead
	}
	return &Authority{accounts: as, secret: c.secret, ttl: c.ttl, realm: c.realm, service: c.service, now: c.now}, nil
}

// Secret returns the key tokens are signed with, for the caller to
// persist (mode 0600) and pass back with WithSecret after a restart.
func (a *Authority) Secret() []byte { return append([]byte(nil), a.secret...) }

// check verifies a token and its validity now, for this service.
func (a *Authority) check(token string) (claims, error) {
	c, err := verify(a.secret, token)
	if err != nil {
		return claims{}, err
	}
	now := a.now()
	switch {
	case c.Issuer != issuer:
		return claims{}, fmt.Errorf("%w: %q", errIssuer, c.Issuer)
	case c.Audience != a.service:
		return claims{}, fmt.Errorf("%w: %q", errAudience, c.Audience)
	case !now.Before(time.Unix(c.ExpiresAt, 0).Add(leeway)):
		return claims{}, fmt.Errorf("%w at %s", errExpired, time.Unix(c.ExpiresAt, 0).UTC().Format(time.RFC3339))
	case now.Add(leeway).Before(time.Unix(c.NotBefore, 0)):
		return claims{}, fmt.Errorf("%w until %s", errNotYetValid, time.Unix(c.NotBefore, 0).UTC().Format(time.RFC3339))
	}
	return c, nil
}
