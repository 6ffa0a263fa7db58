package auth

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/registry"
	"github.com/stretchr/testify/require"
)

func TestAuthorize(t *testing.T) {
	const (
		realm   = `Bearer realm="https://127.0.0.1:5000/auth/token",service="buildset-registry"`
		scopeAB = `,scope="repository:a/b:push"`
	)
	pullAB := registry.Scope{Repository: "a/b", Actions: []string{registry.ActionPull}}
	pushAB := registry.Scope{Repository: "a/b", Actions: []string{registry.ActionPush}}
	ping := registry.Scope{}
	catalog := registry.Scope{Actions: []string{registry.ActionPull}}

	c := newClock()
	a := newAuthority(t, c)
	bearer := func(authorization string, scopes ...string) string {
		return "Bearer " + issueToken(t, a, authorization, scopes...)
	}
	pullToken := bearer("", "repository:a/b:pull")
	pushToken := bearer(basic(writeName, writePass), "repository:a/b:pull,push")
	wildToken := "Bearer " + forge(a.secret, `{"alg":"HS256","typ":"JWT"}`, claims{
		Issuer: issuer, Audience: DefaultService, ExpiresAt: c.now().Add(time.Hour).Unix(), NotBefore: c.now().Unix(),
		Access: []access{{Type: typeRepository, Name: "a/b", Actions: []string{"*"}}},
	})
	loginToken := bearer(basic(writeName, writePass))
	catalogToken := bearer("", "registry:catalog:*")

	other, err := New(WithSecret(bytes.Repeat([]byte("o"), SecretSize)), withClock(c.now))
	require.NoError(t, err)
	forged := "Bearer " + issueToken(t, other, "", "repository:a/b:pull")
	otherService, err := New(WithSecret(a.Secret()), WithService("elsewhere"), withClock(c.now))
	require.NoError(t, err)
	wrongAudience := "Bearer " + issueToken(t, otherService, "", "repository:a/b:pull")
	good := claims{Issuer: issuer, Audience: DefaultService, ExpiresAt: c.now().Add(time.Hour).Unix(), NotBefore: c.now().Unix(),
		Access: []access{{Type: typeRepository, Name: "a/b", Actions: []string{"pull", "push"}}}}
	wrongIssuer := good
	wrongIssuer.Issuer = "zuul-registry"
	notYet := good
	notYet.NotBefore = c.now().Add(time.Minute).Unix()
	expired := good
	expired.ExpiresAt = c.now().Add(-time.Minute).Unix()
	algNone := b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64.EncodeToString([]byte(`{"iss":"`+issuer+`","aud":"buildset-registry","exp":9999999999,"access":[{"type":"repository","name":"a/b","actions":["push"]}]}`)) + "."
	tampered := func() string {
		// The pull token's payload replaced by a push grant, signature kept.
		p := bytes.Split([]byte(pushToken), []byte("."))
		q := bytes.Split([]byte(pullToken), []byte("."))
		return string(bytes.Join([][]byte{q[0], p[1], q[2]}, []byte(".")))
	}()

	for _, tc := range []struct {
		name      string
		auth      string
		scope     registry.Scope
		status    int    // 0: allowed
		challenge string // WWW-Authenticate on 401
		message   string
	}{
		{name: "anonymous pull", scope: pullAB},
		{name: "anonymous pull without actions", scope: registry.Scope{Repository: "a/b"}},
		{name: "anonymous push", scope: pushAB, status: 401, challenge: realm + scopeAB, message: "authentication required"},
		{name: "anonymous pull and push", scope: registry.Scope{Repository: "a/b", Actions: []string{"pull", "push"}}, status: 401, challenge: realm + `,scope="repository:a/b:pull,push"`},
		{name: "anonymous delete", scope: registry.Scope{Repository: "a/b", Actions: []string{"delete"}}, status: 401, challenge: realm + `,scope="repository:a/b:delete"`},
		{name: "anonymous ping", scope: ping, status: 401, challenge: realm},
		{name: "anonymous catalog", scope: catalog, status: 401, challenge: realm + `,scope="registry:catalog:*"`},
		{name: "unknown scheme counts as none", auth: "Negotiate abc", scope: pushAB, status: 401, challenge: realm + scopeAB},
		{name: "unknown scheme pull", auth: "Negotiate abc", scope: pullAB},

		{name: "pull token pull", auth: pullToken, scope: pullAB},
		{name: "pull token ping", auth: pullToken, scope: ping},
		{name: "pull token push", auth: pullToken, scope: pushAB, status: 401, challenge: realm + scopeAB + `,error="insufficient_scope"`, message: "does not grant repository:a/b:push"},
		// A valid token may always do what anyone may: pull (a mount's source).
		{name: "pull token other repository", auth: pullToken, scope: registry.Scope{Repository: "c/d", Actions: []string{"pull"}}},
		{name: "pull token other repository push", auth: pullToken, scope: registry.Scope{Repository: "c/d", Actions: []string{"push"}}, status: 401, challenge: realm + `,scope="repository:c/d:push",error="insufficient_scope"`},
		{name: "push token push", auth: pushToken, scope: pushAB},
		{name: "push token pull", auth: pushToken, scope: pullAB},
		{name: "push token delete", auth: pushToken, scope: registry.Scope{Repository: "a/b", Actions: []string{"delete"}}, status: 401},
		{name: "wildcard token delete", auth: wildToken, scope: registry.Scope{Repository: "a/b", Actions: []string{"delete"}}},
		{name: "login token ping", auth: loginToken, scope: ping},
		{name: "login token pull", auth: loginToken, scope: pullAB},
		{name: "catalog token catalog", auth: catalogToken, scope: catalog},
		{name: "pull token catalog", auth: pullToken, scope: catalog, status: 401},
		{name: "lowercase bearer", auth: "bearer " + pullToken[len("Bearer "):], scope: pullAB},

		{name: "forged token", auth: forged, scope: pullAB, status: 401, challenge: realm + `,scope="repository:a/b:pull",error="invalid_token"`, message: errSignature.Error()},
		{name: "alg none", auth: "Bearer " + algNone, scope: pushAB, status: 401, challenge: realm + scopeAB + `,error="invalid_token"`, message: errAlgorithm.Error()},
		{name: "tampered payload", auth: tampered, scope: pushAB, status: 401, message: errSignature.Error()},
		{name: "expired", auth: "Bearer " + forge(a.secret, `{"alg":"HS256"}`, expired), scope: pushAB, status: 401, challenge: realm + scopeAB + `,error="invalid_token"`, message: "token expired"},
		{name: "not yet valid", auth: "Bearer " + forge(a.secret, `{"alg":"HS256"}`, notYet), scope: pushAB, status: 401, message: errNotYetValid.Error()},
		{name: "valid forged-by-us claims", auth: "Bearer " + forge(a.secret, `{"alg":"HS256"}`, good), scope: pushAB},
		{name: "wrong audience", auth: wrongAudience, scope: pullAB, status: 401, message: errAudience.Error()},
		{name: "wrong issuer", auth: "Bearer " + forge(a.secret, `{"alg":"HS256"}`, wrongIssuer), scope: pullAB, status: 401, message: errIssuer.Error()},
		{name: "garbage token", auth: "Bearer abc", scope: pullAB, status: 401, message: errMalformed.Error()},
		{name: "empty token", auth: "Bearer", scope: ping, status: 401, challenge: realm + `,error="invalid_token"`},

		{name: "basic write user push", auth: basic(writeName, writePass), scope: pushAB},
		{name: "basic write user ping", auth: basic(writeName, writePass), scope: ping},
		{name: "basic read user pull", auth: basic(readName, readPass), scope: pullAB},
		{name: "basic read user ping", auth: basic(readName, readPass), scope: ping},
		{name: "basic read user catalog", auth: basic(readName, readPass), scope: catalog},
		{name: "basic read user push", auth: basic(readName, readPass), scope: pushAB, status: 403, message: `user "viewer" (read access) may not repository:a/b:push`},
		{name: "basic wrong password pull", auth: basic(writeName, "wrong:pass"), scope: pullAB},
		{name: "basic wrong password push", auth: basic(writeName, "wrong:pass"), scope: pushAB, status: 401, challenge: realm + scopeAB},
		{name: "basic wrong password ping", auth: basic(writeName, "wrong:pass"), scope: ping, status: 401, challenge: realm},
		{name: "basic password prefix", auth: basic(writeName, "s3"), scope: pushAB, status: 401},
		{name: "basic malformed", auth: "Basic !!!", scope: pushAB, status: 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := a.Authorize(registryRequest("127.0.0.1:5000", tc.auth), tc.scope)
			if tc.status == 0 {
				require.NoError(t, err)
				return
			}
			var ae *registry.AuthError
			require.True(t, errors.As(err, &ae), "want *registry.AuthError, got %T %v", err, err)
			require.Equal(t, tc.status, ae.Status)
			requireNoSecret(t, ae.Message)
			requireNoSecret(t, ae.Challenge)
			if tc.status == http.StatusUnauthorized {
				require.Contains(t, ae.Challenge, realm)
			} else {
				require.Empty(t, ae.Challenge)
			}
			if tc.challenge != "" {
				require.Equal(t, tc.challenge, ae.Challenge)
			}
			require.Contains(t, ae.Message, tc.message)
		})
	}
}

// A token expires after the TTL; the client is re-challenged and a new
// token works. A restarted registry with the persisted secret accepts old
// tokens, one with a new secret does not.
func TestTokenLifecycle(t *testing.T) {
	c := newClock()
	a := newAuthority(t, c)
	push := registry.Scope{Repository: "a/b", Actions: []string{"push"}}
	tok := "Bearer " + issueToken(t, a, basic(writeName, writePass), "repository:a/b:push")
	r := registryRequest("zuul-jobs.buildset-registry:5000", tok)
	require.NoError(t, a.Authorize(r, push))

	restarted, err := New(WithUsers(testUsers...), WithSecret(a.Secret()), withClock(c.now))
	require.NoError(t, err)
	require.NoError(t, restarted.Authorize(r, push), "the persisted secret must keep tokens valid")
	fresh := newAuthority(t, c)
	require.Error(t, fresh.Authorize(r, push), "a new secret must not accept old tokens")

	c.add(DefaultTTL + leeway - time.Second)
	require.NoError(t, a.Authorize(r, push), "within the leeway")
	c.add(time.Second)
	err = a.Authorize(r, push)
	var ae *registry.AuthError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusUnauthorized, ae.Status)
	require.Equal(t, `Bearer realm="https://zuul-jobs.buildset-registry:5000/auth/token",service="buildset-registry",scope="repository:a/b:push",error="invalid_token"`, ae.Challenge)
	require.Contains(t, ae.Message, "token expired")

	tok = "Bearer " + issueToken(t, a, basic(writeName, writePass), "repository:a/b:push")
	require.NoError(t, a.Authorize(registryRequest("zuul-jobs.buildset-registry:5000", tok), push))
}
