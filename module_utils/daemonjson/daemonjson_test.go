package daemonjson

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func copyFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "daemon.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func golden(t *testing.T, path, name string) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestMergeListModes(t *testing.T) {
	for _, mode := range []ListMerge{Prepend, Replace} {
		t.Run(string(mode), func(t *testing.T) {
			path := copyFixture(t, "seeded.in.json")
			r := Request{Settings: map[string]any{
				"mtu":              1400,
				"registry-mirrors": []any{"https://zuul-jobs.buildset-registry:5000/"},
			}, ListMerge: mode}
			e, err := Merge(path, r, false)
			require.NoError(t, err)
			require.True(t, e.Changed)
			require.Equal(t, []string{"mtu", "registry-mirrors"}, e.ChangedKeys)
			require.Equal(t, []string{"mtu"}, e.RestartKeys)
			require.True(t, e.RestartRequired)
			golden(t, path, "seeded."+string(mode)+".json")

			// The same request again changes nothing and keeps the bytes.
			e, err = Merge(path, r, false)
			require.NoError(t, err)
			require.False(t, e.Changed)
			require.Empty(t, e.ChangedKeys)
			golden(t, path, "seeded."+string(mode)+".json")
		})
	}
}

func TestMergeNewFileUsesFourSpaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "etc", "docker", "daemon.json")
	e, err := Merge(path, Request{Settings: map[string]any{
		"userland-proxy": false, "insecure-registries": []string{"127.0.0.1:5002"},
	}}, false)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.False(t, e.Existed)
	golden(t, path, "fresh.json")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
}

func TestMergeReloadableOnly(t *testing.T) {
	path := copyFixture(t, "seeded.in.json")
	e, err := Merge(path, Request{Settings: map[string]any{"insecure-registries": []any{"a:1"}, "debug": true}}, false)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.False(t, e.RestartRequired)
	require.Empty(t, e.RestartKeys)
}

func TestMergeUnchangedKeepsFormatting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.json")
	odd := "{\"mtu\":1400,   \"debug\": true}"
	require.NoError(t, os.WriteFile(path, []byte(odd), 0o600))
	e, err := Merge(path, Request{Settings: map[string]any{"mtu": 1400.0, "debug": true}}, false)
	require.NoError(t, err)
	require.False(t, e.Changed)
	data, _ := os.ReadFile(path)
	require.Equal(t, odd, string(data))
}

func TestMergeRemoveAndAppend(t *testing.T) {
	path := copyFixture(t, "seeded.in.json")
	e, err := Merge(path, Request{
		Settings:  map[string]any{"registry-mirrors": []any{"https://site-mirror.example/", "https://b/"}},
		ListMerge: Append,
		Remove:    []string{"log-level", "absent-key"},
	}, false)
	require.NoError(t, err)
	require.Equal(t, []string{"registry-mirrors", "log-level"}, e.ChangedKeys)
	v, _ := e.Config.Get("registry-mirrors")
	require.Equal(t, []any{"https://site-mirror.example/", "https://b/"}, v)
	_, has := e.Config.Get("log-level")
	require.False(t, has)
}

func TestMergeErrorsLeaveFile(t *testing.T) {
	cases := map[string]struct {
		content string
		req     Request
		want    string
	}{
		"malformed":   {"{\"mtu\": ", Request{Settings: map[string]any{"mtu": 1}}, "malformed JSON"},
		"not a list":  {`{"registry-mirrors": "x"}`, Request{Settings: map[string]any{"registry-mirrors": []any{"y"}}, ListMerge: Prepend}, `key "registry-mirrors" is not a list`},
		"set and rm":  {`{}`, Request{Settings: map[string]any{"mtu": 1}, Remove: []string{"mtu"}}, `key "mtu" is both set and removed`},
		"top is list": {`[]`, Request{}, "not an object"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "daemon.json")
			require.NoError(t, os.WriteFile(path, []byte(c.content), 0o644))
			_, err := Merge(path, c.req, false)
			require.ErrorContains(t, err, path)
			require.ErrorContains(t, err, c.want)
			data, _ := os.ReadFile(path)
			require.Equal(t, c.content, string(data))
		})
	}
}

func TestMergeCheckMode(t *testing.T) {
	path := copyFixture(t, "seeded.in.json")
	before, _ := os.ReadFile(path)
	e, err := Merge(path, Request{Settings: map[string]any{"mtu": 1400}}, true)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.Contains(t, string(e.After), `"mtu": 1400`)
	after, _ := os.ReadFile(path)
	require.Equal(t, before, after)
}
