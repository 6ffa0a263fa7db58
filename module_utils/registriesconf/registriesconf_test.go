package registriesconf

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gating/containers/module_utils/tomledit"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const mirror = "zuul-jobs.buildset-registry:5000"

var defaultNamespaces = []string{"docker.io", "quay.io", "gcr.io", "registry.k8s.io"}

func present() Request {
	return Request{Mirror: mirror, Namespaces: defaultNamespaces, UnqualifiedSearch: []string{"docker.io"}}
}

func absent() Request {
	return Request{Mirror: mirror, Namespaces: defaultNamespaces, Absent: true}
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	if name == "" {
		return nil
	}
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestLocation(t *testing.T) {
	require.Equal(t, mirror, Location(mirror, "docker.io"))
	require.Equal(t, mirror+"/quay.io", Location(mirror, "quay.io"))
}

func TestRewriteGolden(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		req         Request
		mirrors     map[string][]string
	}{
		{"fresh", "", present(), map[string][]string{
			"docker.io": {mirror, "docker.io"}, "quay.io": {mirror + "/quay.io", "quay.io"},
			"gcr.io": {mirror + "/gcr.io", "gcr.io"}, "registry.k8s.io": {mirror + "/registry.k8s.io", "registry.k8s.io"}}},
		{"debian-default", "debian-default.conf", present(), nil},
		{"existing", "existing.conf", present(), map[string][]string{
			"docker.io": {mirror, "mirror.site.example/dockerhub"}, "quay.io": {mirror + "/quay.io", "quay.io"},
			"gcr.io": {mirror + "/gcr.io", "gcr.io"}, "registry.k8s.io": {mirror + "/registry.k8s.io", "registry.k8s.io"}}},
		{"not-first", "not-first.conf", Request{Mirror: mirror, Namespaces: []string{"docker.io", "quay.io"},
			UnqualifiedSearch: []string{"docker.io"}}, map[string][]string{
			"docker.io": {mirror, "mirror.site.example", "docker.io"}, "quay.io": {mirror + "/quay.io", "quay.io"}}},
		{"location-only", "location-only.conf", Request{Mirror: mirror, Namespaces: []string{"quay.io", "gcr.io"}},
			map[string][]string{"quay.io": {mirror + "/quay.io"}, "gcr.io": {mirror + "/gcr.io", "gcr-mirror.example"}}},
		{"existing-absent", "existing.golden", absent(), map[string][]string{
			"docker.io": {"mirror.site.example/dockerhub"}, "quay.io": {}, "gcr.io": {}, "registry.k8s.io": {}}},
		{"not-first-absent", "not-first.conf", absent(), map[string][]string{
			"docker.io": {"mirror.site.example", "docker.io"}, "quay.io": {}, "gcr.io": {}, "registry.k8s.io": {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := read(t, tc.input)
			out, res, err := Rewrite(in, tc.req)
			require.NoError(t, err)
			golden(t, tc.name+".golden", out)
			if tc.mirrors != nil {
				require.Equal(t, tc.mirrors, res.Mirrors)
			}
			again, res2, err := Rewrite(out, tc.req)
			require.NoError(t, err)
			require.Equal(t, string(out), string(again), "a second run changes nothing")
			require.Equal(t, res, res2)
			_, err = tomledit.Parse(out)
			require.NoError(t, err)
		})
	}
}

func TestRewriteDebianDefaultKeepsComments(t *testing.T) {
	in := read(t, "debian-default.conf")
	out, res, err := Rewrite(in, present())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(out), string(in)), "the distribution's text comes first, unchanged")
	require.Equal(t, []string{"docker.io"}, res.UnqualifiedSearch)
	require.Equal(t, []string{mirror, "docker.io"}, res.Mirrors["docker.io"])

	// Removing the mirror again leaves the distribution's file plus the
	// search list (which state=absent does not manage).
	back, _, err := Rewrite(out, absent())
	require.NoError(t, err)
	require.Equal(t, string(in)+"\nunqualified-search-registries = [\"docker.io\"]\n", string(back))
}

func TestRewriteKeepsUnmanagedText(t *testing.T) {
	in := string(read(t, "existing.conf"))
	out, _, err := Rewrite([]byte(in), present())
	require.NoError(t, err)
	for _, part := range []string{
		"# Site configuration, managed by hand.\nshort-name-mode = \"enforcing\"\n" +
			"unqualified-search-registries = ['docker.io']   # single quotes on purpose\n",
		"# the site's pull-through cache\n[[registry.mirror]]\nlocation = \"mirror.site.example/dockerhub\"\ninsecure = false\n",
		"# An internal registry nobody else should touch.\n[[registry]]\nlocation = \"registry.internal.example:5000\"\n" +
			"insecure = true\nblocked = false\n\n[aliases]\n  \"fedora\" = \"registry.fedoraproject.org/fedora\"\n" +
			"  \"debian\" = \"docker.io/library/debian\"\n",
	} {
		require.Contains(t, string(out), part)
	}
}

func TestRewriteUnqualifiedSearch(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"same list, other quoting: untouched", "unqualified-search-registries = ['docker.io']\n",
			"unqualified-search-registries = ['docker.io']\n"},
		{"other list: rewritten", "unqualified-search-registries = [ 'quay.io' ] # site\n",
			"unqualified-search-registries = [\"docker.io\"] # site\n"},
		{"missing: before the first table", "# head\n\n[aliases]\n\"a\" = \"b\"\n",
			"# head\n\nunqualified-search-registries = [\"docker.io\"]\n\n[aliases]\n\"a\" = \"b\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, res, err := Rewrite([]byte(tc.in), Request{Mirror: mirror, UnqualifiedSearch: []string{"docker.io"}})
			require.NoError(t, err)
			require.Equal(t, tc.want, string(out))
			require.Equal(t, []string{"docker.io"}, res.UnqualifiedSearch)
		})
	}
	out, _, err := Rewrite([]byte("unqualified-search-registries = ['quay.io']\n"), Request{Mirror: mirror})
	require.NoError(t, err)
	require.Equal(t, "unqualified-search-registries = ['quay.io']\n", string(out), "an empty list leaves the key alone")
}

func TestRewriteErrors(t *testing.T) {
	for _, tc := range []struct {
		input string
		want  error
		text  string
	}{
		{"v1.conf", ErrV1, "v1 registries.conf cannot be mixed with v2 entries; convert it"},
		{"malformed.conf", tomledit.ErrMalformed, "line 3, column 1"},
		{"inline-registry.conf", ErrInline, "inline"},
		{"inline-mirror.conf", ErrInline, "registry[0]"},
		{"dotted-mirror.conf", ErrInline, "registry[0]"},
	} {
		t.Run(tc.input, func(t *testing.T) {
			_, _, err := Rewrite(read(t, tc.input), present())
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), tc.text)
		})
	}
}

func TestRequestValidate(t *testing.T) {
	for _, r := range []Request{
		{Mirror: ""},
		{Mirror: "https://zuul-jobs.buildset-registry:5000"},
		{Mirror: "host:5000/path"},
		{Mirror: mirror, Namespaces: []string{"docker.io", ""}},
		{Mirror: mirror, Namespaces: []string{"quay.io/org"}},
		{Mirror: mirror, UnqualifiedSearch: []string{"has space"}},
	} {
		require.Error(t, r.Validate(), "%+v", r)
	}
	require.NoError(t, present().Validate())
}

func TestApplyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "containers", "registries.conf")

	e, err := Apply(path, present(), true)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.NoFileExists(t, path, "check mode writes nothing")

	e, err = Apply(path, present(), false)
	require.NoError(t, err)
	require.True(t, e.Changed)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(read(t, "fresh.golden")), string(data))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), fi.Mode().Perm())

	e, err = Apply(path, present(), false)
	require.NoError(t, err)
	require.False(t, e.Changed)

	missing := filepath.Join(dir, "missing.conf")
	e, err = Apply(missing, absent(), false)
	require.NoError(t, err)
	require.False(t, e.Changed)
	require.NoFileExists(t, missing, "absent does not create the file")
}

func TestApplyMalformedUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registries.conf")
	in := read(t, "malformed.conf")
	require.NoError(t, os.WriteFile(path, in, 0o600))
	_, err := Apply(path, present(), false)
	require.ErrorIs(t, err, tomledit.ErrMalformed)
	require.Contains(t, err.Error(), path)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, in, after)
}

func TestApplySymlinkKept(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.conf")
	link := filepath.Join(dir, "registries.conf")
	require.NoError(t, os.WriteFile(target, read(t, "existing.conf"), 0o640))
	require.NoError(t, os.Symlink("real.conf", link))
	e, err := Apply(link, present(), false)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.Equal(t, target, e.Path)
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	require.True(t, fi.Mode()&os.ModeSymlink != 0)
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	require.Equal(t, string(read(t, "existing.golden")), string(data))
	fi, err = os.Stat(target)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
}
