package auth

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Option
		want string
	}{
		{"short secret", WithSecret(make([]byte, 31)), "31 bytes, need at least 32"},
		{"short ttl", WithTTL(30 * time.Second), "at least 1m"},
		{"relative realm", WithRealm("/auth/token"), "absolute http(s) URL"},
		{"ftp realm", WithRealm("ftp://h/auth/token"), "absolute http(s) URL"},
		{"realm with quote", WithRealm(`https://h/a"b`), "cannot carry"},
		{"empty service", WithService(""), "service name"},
		{"service with quote", WithService(`a"b`), "service name"},
		{"nil clock", withClock(nil), "clock"},
		{"empty name", WithUsers(User{Password: "pw:1", Access: AccessWrite}), "empty name"},
		{"name with colon", WithUsers(User{Name: "a:b", Password: "pw:1", Access: AccessWrite}), `"a:b": the name may not contain ':'`},
		{"empty password", WithUsers(User{Name: "zuul", Access: AccessWrite}), `"zuul": empty password`},
		{"bad access", WithUsers(User{Name: "zuul", Password: "pw:1", Access: "admin"}), `access "admin"`},
		{"duplicate", WithUsers(User{Name: "zuul", Password: "pw:1", Access: AccessWrite}, User{Name: "zuul", Password: "pw:2", Access: AccessRead}), "defined twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.opt)
			require.Nil(t, a)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "pw:")
		})
	}
}

func TestNewDefaults(t *testing.T) {
	a, err := New()
	require.NoError(t, err)
	require.Equal(t, DefaultTTL, a.ttl)
	require.Equal(t, DefaultService, a.service)
	require.Len(t, a.Secret(), SecretSize)

	b, err := New()
	require.NoError(t, err)
	require.False(t, bytes.Equal(a.Secret(), b.Secret()), "generated secrets must differ")
}

func TestSecretIsACopy(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, SecretSize)
	a, err := New(WithSecret(secret))
	require.NoError(t, err)
	secret[0] = 8
	got := a.Secret()
	require.Equal(t, byte(7), got[0], "the option must copy the secret")
	got[1] = 9
	require.Equal(t, byte(7), a.Secret()[1], "Secret must return a copy")
}

func TestUserPrintingHidesPassword(t *testing.T) {
	u := User{Name: writeName, Password: writePass, Access: AccessWrite}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		s := fmt.Sprintf(format, u)
		require.Contains(t, s, writeName)
		requireNoSecret(t, s)
	}
}
