package tlsgen

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range []string{CAFile, CertFile, KeyFile} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		out[f] = data
	}
	return out
}

func TestEnsureWritesFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	b, changed, err := Ensure(dir, "203.0.113.7")
	require.NoError(t, err)
	require.True(t, changed)

	for f, mode := range map[string]fs.FileMode{CAFile: 0o644, CertFile: 0o644, KeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		require.Equal(t, mode, fi.Mode().Perm(), f)
	}
	files := readFiles(t, dir)
	require.Equal(t, b.CAPEM, files[CAFile])
	require.Equal(t, b.CertPEM, files[CertFile])
	require.Equal(t, b.KeyPEM, files[KeyFile])
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 3, "no temporary files left")

	loaded, err := Load(dir)
	require.NoError(t, err)
	require.Equal(t, b.Leaf.Raw, loaded.Leaf.Raw)
	require.Equal(t, b.CA.Raw, loaded.CA.Raw)
}

func TestEnsureReusesFiles(t *testing.T) {
	for _, host := range []string{"203.0.113.7", "2001:db8::1", "registry.example"} {
		t.Run(host, func(t *testing.T) {
			dir := t.TempDir()
			first, changed, err := Ensure(dir, host)
			require.NoError(t, err)
			require.True(t, changed)
			before := readFiles(t, dir)

			again, changed, err := Ensure(dir, host)
			require.NoError(t, err)
			require.False(t, changed, "a rerun for the same host must not regenerate")
			require.Equal(t, first.CAPEM, again.CAPEM)
			require.Equal(t, before, readFiles(t, dir))

			// The host is one of the fixed names, or spelled differently.
			_, changed, err = Ensure(dir, "127.0.0.1")
			require.NoError(t, err)
			require.False(t, changed, "127.0.0.1 is always covered")
			_, err = Current(dir, host)
			require.NoError(t, err)
		})
	}
}

func TestEnsureRegenerates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spoil  func(t *testing.T, dir string)
		host   string
		opts   []Option
		reason string
	}{
		{name: "host changed", host: "203.0.113.8", reason: "203.0.113.8"},
		{name: "alt name added", opts: []Option{WithAltNames("node.example")}, reason: "node.example"},
		{name: "expiring", opts: []Option{fixedClock(time.Now().Add(359 * 24 * time.Hour))}, reason: "expires at"},
		{name: "expiring within a custom window", opts: []Option{WithRenewBefore(300 * 24 * time.Hour), fixedClock(time.Now().Add(70 * 24 * time.Hour))}, reason: "expires at"},
		{name: "expired", opts: []Option{fixedClock(time.Now().Add(400 * 24 * time.Hour))}, reason: "expires at"},
		{name: "clock before the certificate", opts: []Option{fixedClock(time.Now().Add(-2 * time.Hour))}, reason: "not valid before"},
		{name: "key readable by others", spoil: func(t *testing.T, dir string) {
			require.NoError(t, os.Chmod(filepath.Join(dir, KeyFile), 0o644))
		}, reason: "mode 0644"},
		{name: "ca missing", spoil: func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, CAFile)))
		}, reason: "no such file"},
		{name: "cert corrupt", spoil: func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, CertFile), []byte("garbage"), 0o644))
		}, reason: "invalid TLS files"},
		{name: "key of another certificate", spoil: func(t *testing.T, dir string) {
			other, err := Generate("203.0.113.7")
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, KeyFile), other.KeyPEM, 0o600))
		}, reason: "private key does not match"},
		{name: "ca of another run", spoil: func(t *testing.T, dir string) {
			other, err := Generate("203.0.113.7")
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, CAFile), other.CAPEM, 0o644))
		}, reason: "not signed by"},
		{name: "ca is the server certificate", spoil: func(t *testing.T, dir string) {
			data, err := os.ReadFile(filepath.Join(dir, CertFile))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, CAFile), data, 0o644))
		}, reason: "not a CA certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			first, _, err := Ensure(dir, "203.0.113.7")
			require.NoError(t, err)
			if tc.spoil != nil {
				tc.spoil(t, dir)
			}
			host := tc.host
			if host == "" {
				host = "203.0.113.7"
			}

			_, err = Current(dir, host, tc.opts...)
			require.ErrorIs(t, err, ErrStale)
			require.ErrorContains(t, err, tc.reason)

			b, changed, err := Ensure(dir, host, tc.opts...)
			require.NoError(t, err)
			require.True(t, changed)
			require.NotEqual(t, first.CA.Raw, b.CA.Raw)
			require.Equal(t, b.CAPEM, readFiles(t, dir)[CAFile])
			fi, err := os.Stat(filepath.Join(dir, KeyFile))
			require.NoError(t, err)
			require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
			_, err = Current(dir, host, tc.opts...)
			require.NoError(t, err, "the new files must be current")
			_, changed, err = Ensure(dir, host, tc.opts...)
			require.NoError(t, err)
			require.False(t, changed, "and stay so")
		})
	}
}

func TestEnsureFailsOnUnreadableFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, KeyFile), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, CAFile), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, CertFile), []byte("x"), 0o644))
	_, err := Current(dir, "192.0.2.1")
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrStale), "an unreadable file is not stale: %v", err)
	_, changed, err := Ensure(dir, "192.0.2.1")
	require.Error(t, err)
	require.False(t, changed)
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	require.NoError(t, err)
	require.True(t, fi.IsDir(), "Ensure must not overwrite what it cannot read")
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(t.TempDir())
	require.ErrorIs(t, err, fs.ErrNotExist)
}
