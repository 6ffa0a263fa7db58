package registry

import (
	"net/http"
)

// Actions a request may need on a repository.
const (
	ActionPull   = "pull"
	ActionPush   = "push"
	ActionDelete = "delete"
)

// Scope is what a request needs: actions on one repository, or on the
// registry itself (Repository "") for the ping and the catalog.
type Scope struct {
	Repository string
	Actions    []string
}

// Authorizer decides whether a request may have a scope. It returns nil to
// allow it, or an *AuthError. The registry calls it before every /v2/
// request; the token endpoint lives with the Authorizer, not here.
type Authorizer interface {
	Authorize(r *http.Request, s Scope) error
}

// AuthError is a refusal: Status 401 with a Challenge (the
// WWW-Authenticate value) asks the client to authenticate; 403 means the
// credentials given are not enough.
type AuthError struct {
	Status    int    // http.StatusUnauthorized or http.StatusForbidden
	Challenge string // WWW-Authenticate header value, for 401
	Message   string
}

func (e *AuthError) Error() string { return e.Message }

// AllowAll is the Authorizer of a registry without authentication.
type AllowAll struct{}

// Authorize allows everything.
func (AllowAll) Authorize(*http.Request, Scope) error { return nil }
