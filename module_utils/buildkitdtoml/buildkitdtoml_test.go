package buildkitdtoml

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

const (
	mirror = "zuul-jobs.buildset-registry:5000"
	ca     = "/usr/local/share/ca-certificates/zuul-jobs.buildset-registry.crt"
)

var defaultNamespaces = []string{"docker.io", "quay.io", "gcr.io", "registry.k8s.io"}

func present() Request {
	return Request{Mirror: mirror, Namespaces: defaultNamespaces, CAFile: ca}
}

func absent() Request {
	return Request{Mirror: mirror, Namespaces: defaultNamespaces, CAFile: ca, Absent: true}
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

func ours() map[string][]string {
	return map[string][]string{"docker.io": {mirror}, "quay.io": {mirror + "/quay.io"},
		"gcr.io": {mirror + "/gcr.io"}, "registry.k8s.io": {mirror + "/registry.k8s.io"}}
}

func TestRewriteGolden(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		req         Request
		mirrors     map[string][]string
		ca          []string
	}{
		{"fresh", "", present(), ours(), []string{ca}},
		{"upstream", "upstream.toml", present(), ours(), []string{ca}},
		{"existing", "existing.toml", present(), map[string][]string{
			"docker.io": {mirror, "mirror.site.example"}, "quay.io": {mirror + "/quay.io"},
			"gcr.io": {mirror + "/gcr.io"}, "registry.k8s.io": {mirror + "/registry.k8s.io"}}, []string{ca}},
		{"not-first", "not-first.toml", Request{Mirror: mirror, Namespaces: []string{"docker.io"}, CAFile: ca},
			map[string][]string{"docker.io": {mirror, "mirror.site.example"}}, []string{ca, "/etc/ssl/other.pem"}},
		{"no-ca", "", Request{Mirror: mirror, Namespaces: []string{"docker.io"}},
			map[string][]string{"docker.io": {mirror}}, []string{}},
		{"existing-absent", "existing.golden", absent(), map[string][]string{
			"docker.io": {"mirror.site.example"}, "quay.io": {}, "gcr.io": {}, "registry.k8s.io": {}}, []string{}},
		{"not-first-absent", "not-first.toml", absent(), map[string][]string{
			"docker.io": {"mirror.site.example"}, "quay.io": {}, "gcr.io": {}, "registry.k8s.io": {}},
			[]string{"/etc/ssl/other.pem"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, res, err := Rewrite(read(t, tc.input), tc.req)
			require.NoError(t, err)
			golden(t, tc.name+".golden", out)
			require.Equal(t, tc.mirrors, res.Mirrors)
			require.Equal(t, tc.ca, res.CA)
			again, res2, err := Rewrite(out, tc.req)
			require.NoError(t, err)
			require.Equal(t, string(out), string(again), "a second run changes nothing")
			require.Equal(t, res, res2)
		})
	}
}

func TestRewriteNoEmptyRegistryHeader(t *testing.T) {
	out, _, err := Rewrite(nil, present())
	require.NoError(t, err)
	require.NotContains(t, string(out), "[registry]\n")
	require.True(t, strings.HasPrefix(string(out), "[registry.\"docker.io\"]\nmirrors = [\"zuul-jobs.buildset-registry:5000\"]\n"))
}

func TestRewriteKeepsUnmanagedText(t *testing.T) {
	in := string(read(t, "existing.toml"))
	out, _, err := Rewrite([]byte(in), present())
	require.NoError(t, err)
	// Everything up to the docker.io mirrors line, and from its comment on,
	// comes back as it was.
	cut := strings.Index(in, "  mirrors = ['mirror.site.example']")
	require.True(t, strings.HasPrefix(string(out), in[:cut]))
	require.Contains(t, string(out), `  mirrors = ["zuul-jobs.buildset-registry:5000", "mirror.site.example"] # site cache`+"\n")
	rest := in[strings.Index(in, " # site cache"):]
	rest = rest[:strings.Index(rest, "[registry.\"quay.io\"]")]
	require.Contains(t, string(out), rest)
	require.Contains(t, string(out), "[registry.\"quay.io\"]\n  insecure = false\n  mirrors = [\"zuul-jobs.buildset-registry:5000/quay.io\"]\n")
}

func TestRewriteAbsentRoundTrip(t *testing.T) {
	for _, input := range []string{"", "existing.toml", "upstream.toml"} {
		in := read(t, input)
		req := present()
		if input == "upstream.toml" {
			req.CAFile = ""
		}
		out, _, err := Rewrite(in, req)
		require.NoError(t, err)
		req.Absent = true
		back, _, err := Rewrite(out, req)
		require.NoError(t, err)
		if input == "upstream.toml" {
			// Upstream wrote only our mirrors: all that is left is its
			// empty [registry] header.
			require.Equal(t, "[registry]\n", string(back))
			continue
		}
		// A list that was rewritten comes back in basic-string quoting.
		want := strings.Replace(string(in), "['mirror.site.example']", `["mirror.site.example"]`, 1)
		require.Equal(t, want, string(back), input)
	}
}

func TestRewriteErrors(t *testing.T) {
	for _, tc := range []struct {
		input string
		want  error
		text  string
	}{
		{"malformed.toml", tomledit.ErrMalformed, "line 1"},
		{"dotted.toml", ErrInline, `registry."docker.io" is written with dotted keys`},
		{"inline.toml", ErrInline, `registry."quay.io"`},
		{"mirrors-not-strings.toml", nil, "is not a list of strings"},
	} {
		t.Run(tc.input, func(t *testing.T) {
			_, _, err := Rewrite(read(t, tc.input), present())
			require.Error(t, err)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
			require.Contains(t, err.Error(), tc.text)
		})
	}
}

func TestRequestValidate(t *testing.T) {
	for _, r := range []Request{
		{Mirror: ""},
		{Mirror: "https://" + mirror},
		{Mirror: mirror, Namespaces: []string{"docker.io/library"}},
		{Mirror: mirror, CAFile: "/a\nb"},
	} {
		require.Error(t, r.Validate(), "%+v", r)
	}
	require.NoError(t, present().Validate())
}

func TestApplyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "buildkit", "buildkitd.toml")
	e, err := Apply(path, present(), true)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.NoFileExists(t, path)

	e, err = Apply(path, present(), false)
	require.NoError(t, err)
	require.True(t, e.Changed)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(read(t, "fresh.golden")), string(data))

	e, err = Apply(path, present(), false)
	require.NoError(t, err)
	require.False(t, e.Changed)

	missing := filepath.Join(dir, "missing.toml")
	e, err = Apply(missing, absent(), false)
	require.NoError(t, err)
	require.False(t, e.Changed)
	require.NoFileExists(t, missing)
}

func TestApplyMalformedUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "buildkitd.toml")
	in := read(t, "dotted.toml")
	require.NoError(t, os.WriteFile(path, in, 0o600))
	_, err := Apply(path, present(), false)
	require.ErrorIs(t, err, ErrInline)
	require.Contains(t, err.Error(), path)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, in, after)
}
