package registryd

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func validConfig() Config {
	return Config{
		Version:    ConfigVersion,
		Listen:     []string{"127.0.0.1", "::1"},
		Port:       5000,
		TLSDir:     "/tls",
		StorageDir: "/storage",
		Secret:     NewSecret(),
		Users:      []User{{Name: "zuul", Password: "pw:with:colons", Access: "write"}},
		TokenTTL:   Duration(2 * time.Hour),
	}
}

func TestConfigMarshalRoundTrip(t *testing.T) {
	c := validConfig()
	data, err := c.Marshal()
	require.NoError(t, err)
	again, err := c.Marshal()
	require.NoError(t, err)
	require.Equal(t, data, again, "the same Config must give the same bytes")
	require.Contains(t, string(data), `"token_ttl": "2h0m0s"`)
	require.NotContains(t, string(data), "upload_ttl", "an unset TTL is left out")
	require.Equal(t, byte('\n'), data[len(data)-1])

	path := filepath.Join(t.TempDir(), "registry.json")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	loaded, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, c, loaded)
}

func TestConfigDefaults(t *testing.T) {
	c := validConfig()
	c.Listen = nil
	c.TokenTTL = 0
	require.NoError(t, c.Validate())
	require.Equal(t, []string{"::"}, c.listen())
}

func TestConfigRejects(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(c *Config)
		want  string
	}{
		{"version", func(c *Config) { c.Version = 2 }, "version 2: this registry reads version 1"},
		{"no version", func(c *Config) { c.Version = 0 }, "version 0"},
		{"listen name", func(c *Config) { c.Listen = []string{"localhost"} }, `listen address "localhost": want an IP literal`},
		{"listen port", func(c *Config) { c.Listen = []string{"127.0.0.1:5000"} }, `listen address "127.0.0.1:5000"`},
		{"listen twice", func(c *Config) { c.Listen = []string{"::1", "[::1]"} }, `listen address "[::1]": given twice`},
		{"port", func(c *Config) { c.Port = 70000 }, "port 70000"},
		{"relative tls", func(c *Config) { c.TLSDir = "tls" }, `tls_dir "tls": want an absolute path`},
		{"no storage", func(c *Config) { c.StorageDir = "" }, `storage_dir "": want an absolute path`},
		{"secret text", func(c *Config) { c.Secret = "not base64!" }, "secret: not base64 text"},
		{"short secret", func(c *Config) { c.Secret = base64.StdEncoding.EncodeToString([]byte("short")) }, "secret: 5 bytes, want at least 32"},
		{"user name", func(c *Config) { c.Users[0].Name = "a:b" }, `user "a:b": the name may not contain ':'`},
		{"empty password", func(c *Config) { c.Users[0].Password = "" }, `user "zuul": empty password`},
		{"access", func(c *Config) { c.Users[0].Access = "admin" }, `access "admin"`},
		{"duplicate user", func(c *Config) { c.Users = append(c.Users, c.Users[0]) }, `user "zuul": defined twice`},
		{"token ttl", func(c *Config) { c.TokenTTL = Duration(time.Second) }, "token_ttl 1s: want at least 1m"},
		{"upload ttl", func(c *Config) { c.UploadTTL = Duration(-time.Second) }, "upload_ttl -1s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			c.Users = append([]User(nil), c.Users...)
			tc.spoil(&c)
			err := c.Validate()
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "pw:with:colons", "errors never quote passwords")
			require.NotContains(t, err.Error(), c.Secret, "errors never quote the secret")
		})
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	c := validConfig()
	c.Version, c.Port, c.TLSDir = 9, -1, ""
	err := c.Validate()
	for _, want := range []string{"version 9", "port -1", "tls_dir"} {
		require.ErrorContains(t, err, want)
	}
}

func TestParseRejectsUnknownKeysAndTrailingData(t *testing.T) {
	data, err := validConfig().Marshal()
	require.NoError(t, err)

	_, err = Parse(append(data[:len(data)-2:len(data)-2], []byte(`, "listen_adress": ["::"]}`)...))
	require.ErrorContains(t, err, `unknown field "listen_adress"`)

	_, err = Parse(append(append([]byte(nil), data...), []byte("{}")...))
	require.ErrorContains(t, err, "data after the JSON object")

	_, err = Parse([]byte(`{"version": 1, "token_ttl": 60}`))
	require.ErrorContains(t, err, "want text such as")

	_, err = Load(filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, err, "reading registry configuration")
}

func TestUserPrintsNoPassword(t *testing.T) {
	u := User{Name: "zuul", Password: "hunter2", Access: "write"}
	for _, s := range []string{fmt.Sprint(u), fmt.Sprintf("%v %+v %#v %s", u, u, u, u)} {
		require.NotContains(t, s, "hunter2")
		require.Contains(t, s, "zuul")
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	require.NotEqual(t, a, b)
	raw, err := base64.StdEncoding.DecodeString(a)
	require.NoError(t, err)
	require.Len(t, raw, 32)
}
