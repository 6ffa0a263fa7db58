// Package auth is the buildset registry's authentication: a token service
// in the Docker token protocol, and the registry.Authorizer that checks the
// tokens it issued (and HTTP Basic credentials) on every /v2/ request.
//
// It keeps zuul-registry's policy (anyone may pull, pushing needs a user
// with write access, `docker login` needs a write user) and fixes what
// zuul-registry got wrong: tokens are HS256 JWTs signed with a per-registry
// secret, expire, are scoped to repositories and actions, name the
// registry as their audience, and a malformed token is a 401, not a 500.
//
// Wiring: the registry must not import this package (it imports the
// registry's contract), so the program that serves both mounts them side
// by side:
//
//	a, err := auth.New(auth.WithUsers(users...), auth.WithSecret(secret))
//	mux.Handle(auth.TokenPath, a)
//	mux.Handle("/v2/", registry.New(registry.WithAuthorizer(a)))
package auth
