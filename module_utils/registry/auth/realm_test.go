package auth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gating/containers/module_utils/registry"
	"github.com/stretchr/testify/require"
)

func TestRealmFollowsHost(t *testing.T) {
	a := newAuthority(t, newClock())
	for _, tc := range []struct {
		host string
		want string
	}{
		{"127.0.0.1:5000", "https://127.0.0.1:5000/auth/token"},
		{"[::1]:5000", "https://[::1]:5000/auth/token"},
		{"zuul-jobs.buildset-registry:5000", "https://zuul-jobs.buildset-registry:5000/auth/token"},
		{"[2001:db8::7]:9000", "https://[2001:db8::7]:9000/auth/token"},
		{"registry.example", "https://registry.example/auth/token"},
		{"127.0.0.1:39123", "https://127.0.0.1:39123/auth/token"}, // the executor's socat forwarder
	} {
		t.Run(tc.host, func(t *testing.T) {
			err := a.Authorize(registryRequest(tc.host, ""), registry.Scope{})
			var ae *registry.AuthError
			require.True(t, errors.As(err, &ae))
			require.Equal(t, `Bearer realm="`+tc.want+`",service="buildset-registry"`, ae.Challenge)
		})
	}
}

func TestRealmWithoutTLSIsHTTP(t *testing.T) {
	a := newAuthority(t, newClock())
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:5000/v2/", nil)
	require.Equal(t, "http://127.0.0.1:5000/auth/token", a.realmFor(r))
}

func TestRealmFixed(t *testing.T) {
	a := newAuthority(t, newClock(), WithRealm("https://203.0.113.5:5000/auth/token"), WithService("zuul"))
	err := a.Authorize(registryRequest("zuul-jobs.buildset-registry:5000", ""), registry.Scope{Repository: "x", Actions: []string{"push"}})
	var ae *registry.AuthError
	require.True(t, errors.As(err, &ae))
	require.Equal(t, `Bearer realm="https://203.0.113.5:5000/auth/token",service="zuul",scope="repository:x:push"`, ae.Challenge)
}

func TestRealmBadHostFallsBack(t *testing.T) {
	a := newAuthority(t, newClock())
	r := registryRequest("127.0.0.1:5000", "")
	r.Host = `evil",x="y`
	require.Equal(t, "https://localhost/auth/token", a.realmFor(r))
	local := &net.TCPAddr{IP: net.ParseIP("::1"), Port: 5000}
	r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
	require.Equal(t, "https://[::1]:5000/auth/token", a.realmFor(r))
}

func TestValidHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1:5000":                   true,
		"[::1]:5000":                       true,
		"[::1]":                            true,
		"zuul-jobs.buildset-registry:5000": true,
		"zuul-jobs.buildset_registry":      true,
		"localhost":                        true,
		"":                                 false,
		"::1":                              false,
		"[::1":                             false,
		"[::1]x":                           false,
		"[127.0.0.1]:5000":                 false,
		"[fe80::1%eth0]:5000":              false,
		"host:":                            false,
		"host:123456":                      false,
		"host:50a":                         false,
		":5000":                            false,
		"a..b":                             false,
		`a"b`:                              false,
		"a b":                              false,
		"a/b":                              false,
	} {
		require.Equal(t, want, validHost(host), host)
	}
}

func TestChallengeEscapesNames(t *testing.T) {
	a := newAuthority(t, newClock())
	err := a.Authorize(registryRequest("127.0.0.1:5000", ""), registry.Scope{Repository: `a"b\c` + "\n", Actions: []string{"push"}})
	var ae *registry.AuthError
	require.True(t, errors.As(err, &ae))
	require.Contains(t, ae.Challenge, `scope="repository:a\"b\\c:push"`)
}
