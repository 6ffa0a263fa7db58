package tomledit_test

import (
	"testing"

	"github.com/gating/containers/module_utils/buildkitdtoml"
	"github.com/gating/containers/module_utils/registriesconf"
	"github.com/gating/containers/module_utils/tomledit"
	"github.com/pelletier/go-toml/v2"
	"github.com/stretchr/testify/require"
)

// FuzzTomleditEdit runs the two mirror editors built on tomledit over any
// valid TOML document: each must either fail or give valid TOML (as
// go-toml, not tomledit, decodes it) in which the mirror comes first for
// every namespace, and a second run must change nothing. The seed corpus
// is under testdata/fuzz/FuzzTomleditEdit.
func FuzzTomleditEdit(f *testing.F) {
	f.Add([]byte(""), "quay.io")
	f.Add([]byte("[[registry]]\nlocation = \"quay.io\"\n"), "quay.io")
	f.Add([]byte("[registry.\"quay.io\"]\nmirrors = ['x']\n"), "quay.io")
	const mirror = "m.example:5000"
	f.Fuzz(func(t *testing.T, src []byte, host string) {
		if _, err := tomledit.Parse(src); err != nil {
			return // only valid TOML is of interest
		}
		namespaces := []string{"docker.io", host}

		out, _, err := registriesconf.Rewrite(src, registriesconf.Request{
			Mirror: mirror, Namespaces: namespaces, UnqualifiedSearch: []string{"docker.io"}})
		if err == nil {
			var doc map[string]any
			require.NoError(t, toml.Unmarshal(out, &doc), "registries.conf result:\n%s", out)
			for _, h := range namespaces {
				require.Equal(t, registriesconf.Location(mirror, h), firstRegistryMirror(doc, h),
					"registries.conf mirrors of %s in:\n%s", h, out)
			}
			again, _, err := registriesconf.Rewrite(out, registriesconf.Request{
				Mirror: mirror, Namespaces: namespaces, UnqualifiedSearch: []string{"docker.io"}})
			require.NoError(t, err)
			require.Equal(t, string(out), string(again))
		}

		out, _, err = buildkitdtoml.Rewrite(src, buildkitdtoml.Request{
			Mirror: mirror, Namespaces: namespaces, CAFile: "/ca.crt"})
		if err == nil {
			var doc map[string]any
			require.NoError(t, toml.Unmarshal(out, &doc), "buildkitd.toml result:\n%s", out)
			registry, _ := doc["registry"].(map[string]any)
			for _, h := range namespaces {
				table, _ := registry[h].(map[string]any)
				mirrors, _ := table["mirrors"].([]any)
				require.NotEmpty(t, mirrors, "buildkitd.toml mirrors of %s in:\n%s", h, out)
				require.Equal(t, buildkitdtoml.Location(mirror, h), mirrors[0])
			}
			again, _, err := buildkitdtoml.Rewrite(out, buildkitdtoml.Request{
				Mirror: mirror, Namespaces: namespaces, CAFile: "/ca.crt"})
			require.NoError(t, err)
			require.Equal(t, string(out), string(again))
		}
	})
}

// firstRegistryMirror is the first mirror location of the first
// [[registry]] entry for host in a decoded registries.conf.
func firstRegistryMirror(doc map[string]any, host string) any {
	entries, _ := doc["registry"].([]any)
	for _, e := range entries {
		entry, _ := e.(map[string]any)
		name, _ := entry["prefix"].(string)
		if name == "" {
			name, _ = entry["location"].(string)
		}
		if name != host {
			continue
		}
		mirrors, _ := entry["mirror"].([]any)
		if len(mirrors) == 0 {
			return nil
		}
		first, _ := mirrors[0].(map[string]any)
		return first["location"]
	}
	return nil
}
