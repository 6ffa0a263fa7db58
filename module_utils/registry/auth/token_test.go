package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTokenEndpoint(t *testing.T) {
	pull := func(name string) access { return access{Type: typeRepository, Name: name, Actions: []string{"pull"}} }
	for _, tc := range []struct {
		name    string
		scopes  []string
		service string
		auth    string
		status  int
		access  []access // granted, when status is 200
		subject string
		message string // in the error body, when not 200
	}{
		{name: "anonymous pull", scopes: []string{"repository:a/b:pull"}, status: 200, access: []access{pull("a/b")}},
		{name: "anonymous push", scopes: []string{"repository:a/b:push"}, status: 401, message: "needs credentials"},
		{name: "anonymous pull and push", scopes: []string{"repository:a/b:pull,push"}, status: 401},
		{name: "anonymous delete", scopes: []string{"repository:a/b:delete"}, status: 401},
		{name: "anonymous wildcard", scopes: []string{"repository:a/b:*"}, status: 401},
		{name: "anonymous login", status: 401, message: "login needs a user with write access"},
		{name: "anonymous unknown action dropped", scopes: []string{"repository:a/b:pull,frobnicate"}, status: 200, access: []access{pull("a/b")}},
		{name: "anonymous catalog", scopes: []string{"registry:catalog:*"}, status: 200,
			access: []access{{Type: typeRegistry, Name: nameCatalog, Actions: []string{"*"}}}},
		{name: "wrong password pull", scopes: []string{"repository:library/alpine:pull"}, auth: basic(writeName, "wrong:pass"), status: 200, access: []access{pull("library/alpine")}},
		{name: "docker hub credentials pull", scopes: []string{"repository:library/alpine:pull"}, auth: basic("hubuser", "wrong:pass"), status: 200, access: []access{pull("library/alpine")}},
		{name: "wrong password push", scopes: []string{"repository:a/b:pull,push"}, auth: basic(writeName, "wrong:pass"), status: 401, message: "invalid username or password"},
		{name: "credentials split at the first colon", scopes: []string{"repository:a/b:push"}, auth: basic(writeName+":s3", "cr:et-.,_pw"), status: 200, subject: writeName,
			access: []access{{Type: typeRepository, Name: "a/b", Actions: []string{"push"}}}},
		{name: "password with colons, prefix only", scopes: []string{"repository:a/b:push"}, auth: basic(writeName, "s3"), status: 401, message: "invalid username or password"},
		{name: "unknown user push", scopes: []string{"repository:a/b:push"}, auth: basic("nobody", writePass), status: 401, message: "invalid username or password"},
		{name: "wrong password login", auth: basic(writeName, "wrong:pass"), status: 401, message: "invalid username or password"},
		{name: "write user push", scopes: []string{"repository:a/b:pull,push"}, auth: basic(writeName, writePass), status: 200, subject: writeName,
			access: []access{{Type: typeRepository, Name: "a/b", Actions: []string{"pull", "push"}}}},
		{name: "write user delete", scopes: []string{"repository:a/b:delete"}, auth: basic(writeName, writePass), status: 200, subject: writeName,
			access: []access{{Type: typeRepository, Name: "a/b", Actions: []string{"delete"}}}},
		{name: "write user login", auth: basic(writeName, writePass), status: 200, subject: writeName, access: []access{}},
		{name: "read user login", auth: basic(readName, readPass), status: 401, message: "login needs a user with write access"},
		{name: "read user push gets pull only", scopes: []string{"repository:a/b:pull,push"}, auth: basic(readName, readPass), status: 200, subject: readName, access: []access{pull("a/b")}},
		{name: "scopes repeated, space separated, merged", scopes: []string{"repository:a/b:pull repository:c/d:pull", "repository:a/b:push"}, auth: basic(writeName, writePass), status: 200, subject: writeName,
			access: []access{{Type: typeRepository, Name: "a/b", Actions: []string{"pull", "push"}}, pull("c/d")}},
		{name: "name with a port", scopes: []string{"repository:quay.io:443/org/img:pull"}, status: 200, access: []access{pull("quay.io:443/org/img")}},
		{name: "resource class", scopes: []string{"repository(plugin):a/b:pull"}, status: 200, access: []access{pull("a/b")}},
		{name: "unknown resource type", scopes: []string{"widget:x:pull"}, status: 200, access: []access{}},
		{name: "our service", scopes: []string{"repository:a/b:pull"}, service: DefaultService, status: 200, access: []access{pull("a/b")}},
		{name: "other service", scopes: []string{"repository:a/b:pull"}, service: "registry.docker.io", status: 400, message: `registry.docker.io`},
		{name: "malformed scope", scopes: []string{"repository:a/b"}, status: 400, message: "want type:name:actions"},
		{name: "quote in name", scopes: []string{`repository:a"b:pull`}, status: 400, message: "cannot carry"},
		{name: "too many scopes", scopes: []string{strings.Repeat("repository:a:pull ", maxScopes+1)}, status: 400, message: "more than 64 scopes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			a := newAuthority(t, c)
			q := url.Values{"scope": tc.scopes}
			if tc.service != "" {
				q.Set("service", tc.service)
			}
			w := tokenCall(t, a, q, tc.auth)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			requireNoSecret(t, w.Body.String())
			if tc.status != http.StatusOK {
				require.Contains(t, w.Body.String(), tc.message)
				if tc.status == http.StatusUnauthorized {
					require.Equal(t, `Basic realm="buildset-registry"`, w.Header().Get("WWW-Authenticate"))
				}
				return
			}
			require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			var resp tokenResponse
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
			require.Equal(t, resp.Token, resp.AccessToken)
			require.Equal(t, int64(6*60*60), resp.ExpiresIn)
			require.Equal(t, "2026-11-27T12:00:00Z", resp.IssuedAt)
			got, err := a.check(resp.Token)
			require.NoError(t, err)
			require.Equal(t, tc.access, got.Access)
			require.Equal(t, tc.subject, got.Subject)
			require.Equal(t, DefaultService, got.Audience)
			require.Equal(t, issuer, got.Issuer)
			require.Equal(t, c.now().Add(DefaultTTL).Unix(), got.ExpiresAt)
			require.Equal(t, c.now().Unix(), got.NotBefore)
			require.Equal(t, c.now().Unix(), got.IssuedAt)
			require.NotEmpty(t, got.ID)
		})
	}
}

func TestTokenIDsAreUnique(t *testing.T) {
	a := newAuthority(t, newClock())
	one, err := a.check(issueToken(t, a, "", "repository:a:pull"))
	require.NoError(t, err)
	two, err := a.check(issueToken(t, a, "", "repository:a:pull"))
	require.NoError(t, err)
	require.NotEqual(t, one.ID, two.ID)
}

func TestTokenEndpointPasswordGrant(t *testing.T) {
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		access []access
	}{
		{"write user", url.Values{"grant_type": {"password"}, "username": {writeName}, "password": {writePass}, "scope": {"repository:a/b:pull,push"}, "service": {DefaultService}, "client_id": {"containerd-client"}},
			200, []access{{Type: typeRepository, Name: "a/b", Actions: []string{"pull", "push"}}}},
		{"wrong password push", url.Values{"grant_type": {"password"}, "username": {writeName}, "password": {"wrong:pass"}, "scope": {"repository:a/b:pull,push"}}, 401, nil},
		{"wrong password pull", url.Values{"grant_type": {"password"}, "username": {writeName}, "password": {"wrong:pass"}, "scope": {"repository:a/b:pull"}},
			200, []access{{Type: typeRepository, Name: "a/b", Actions: []string{"pull"}}}},
		{"refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "scope": {"repository:a/b:pull"}}, 400, nil},
		{"no grant type", url.Values{"scope": {"repository:a/b:pull"}}, 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuthority(t, newClock())
			r := httptest.NewRequest(http.MethodPost, "https://127.0.0.1:5000"+TokenPath, strings.NewReader(tc.form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			requireNoSecret(t, w.Body.String())
			if tc.status != http.StatusOK {
				return
			}
			var resp tokenResponse
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
			got, err := a.check(resp.AccessToken)
			require.NoError(t, err)
			require.Equal(t, tc.access, got.Access)
		})
	}
}

func TestTokenEndpointRejectsBadForms(t *testing.T) {
	a := newAuthority(t, newClock())
	for _, tc := range []struct {
		name   string
		body   string
		status int
	}{
		{"bad escape in password", "grant_type=password&username=zuul&password=%zzwrong:pass", 400},
		{"too large", "grant_type=password&password=" + strings.Repeat("a", maxFormSize), 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "https://127.0.0.1:5000"+TokenPath, strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			require.Equal(t, tc.status, w.Code)
			require.NotContains(t, w.Body.String(), "%zz")
			requireNoSecret(t, w.Body.String())
		})
	}
}

func TestTokenEndpointMethods(t *testing.T) {
	a := newAuthority(t, newClock())
	r := httptest.NewRequest(http.MethodPut, "https://127.0.0.1:5000"+TokenPath, nil)
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	require.Equal(t, http.StatusMethodNotAllowed, w.Code)
	require.Equal(t, "GET, HEAD, POST", w.Header().Get("Allow"))
}

func TestTokenTTLOption(t *testing.T) {
	c := newClock()
	a := newAuthority(t, c, WithTTL(2*time.Minute))
	w := tokenCall(t, a, url.Values{"scope": {"repository:a:pull"}}, "")
	require.Equal(t, http.StatusOK, w.Code)
	var resp tokenResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	require.Equal(t, int64(120), resp.ExpiresIn)
	got, err := a.check(resp.Token)
	require.NoError(t, err)
	require.Equal(t, int64(120), got.ExpiresAt-got.IssuedAt)
}
