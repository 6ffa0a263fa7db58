package auth

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gating/containers/module_utils/registry"
)

// Authorize decides a /v2/ request needing s:
//
//   - Bearer token: it must be one this Authority issued (HS256, signed
//     with its secret, unexpired, for its service) whose access covers s.
//     Otherwise 401 with a challenge for s: "invalid_token" sends a client
//     whose token expired or came from an earlier secret for a new one,
//     "insufficient_scope" one whose token lacks s (docker re-authenticates
//     on 401, not 403).
//   - Basic: a user with the access s needs may go on without a token; a
//     known user lacking it gets 403. Wrong credentials count as none:
//     docker sends the user's Docker Hub credentials to a mirror.
//   - None: pulls from repositories are allowed; the ping (/v2/), the
//     catalog and anything that writes get the 401 challenge.
//
// A valid token need not cover what anyone may do: a cross-repository
// mount asks for pull on the source with a token scoped to the target.
func (a *Authority) Authorize(r *http.Request, s registry.Scope) error {
	need, ping := needed(s)
	public := !ping && need.Type == typeRepository && permitsAll(anonymous, need)
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		c, err := a.check(strings.TrimSpace(cred))
		if err != nil {
			return a.challenge(r, need, ping, "invalid_token", err.Error())
		}
		if !ping && !public && !covers(c.Access, need) {
			return a.challenge(r, need, ping, "insufficient_scope",
				fmt.Sprintf("token does not grant %s", need))
		}
		return nil
	case strings.EqualFold(scheme, "Basic"):
		name, password, ok := r.BasicAuth()
		if !ok {
			break
		}
		acct, ok := a.accounts.check(name, password)
		if !ok {
			break
		}
		if ping || permitsAll(levelOf(acct.access), need) {
			return nil
		}
		return &registry.AuthError{
			Status:  http.StatusForbidden,
			Message: fmt.Sprintf("user %q (%s access) may not %s", acct.name, acct.access, need),
		}
	}
	if public {
		return nil
	}
	return a.challenge(r, need, ping, "", "authentication required")
}
