package dockerauth

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStoreFor(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		registry string
		want     Store
	}{
		{"none", `{"auths": {}}`, buildset, Store{}},
		{"credsStore", `{"credsStore": "desktop"}`, buildset, Store{Helper: "desktop", Key: "credsStore"}},
		{"empty credsStore", `{"credsStore": ""}`, buildset, Store{}},
		{"helper for another registry", `{"credHelpers": {"gcr.io": "gcloud"}}`, buildset, Store{}},
		{"helper for the registry", `{"credHelpers": {"` + buildset + `": "pass"}}`, buildset, Store{Helper: "pass", Key: "credHelpers"}},
		{"helper keyed by URL", `{"credHelpers": {"https://` + buildset + `/v2/": "pass"}}`, buildset, Store{Helper: "pass", Key: "credHelpers"}},
		{"registry given as URL", `{"credHelpers": {"` + buildset + `": "pass"}}`, "https://" + buildset, Store{Helper: "pass", Key: "credHelpers"}},
		{"helper wins over credsStore", `{"credsStore": "desktop", "credHelpers": {"` + buildset + `": "pass"}}`, buildset, Store{Helper: "pass", Key: "credHelpers"}},
		{"hub", `{"credHelpers": {"https://index.docker.io/v1/": "osxkeychain"}}`, "https://index.docker.io/v1/", Store{Helper: "osxkeychain", Key: "credHelpers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			writeFile(t, path, tt.config)
			e, err := Add(path, Credentials{Registry: tt.registry, Username: "zuul", Password: password}, true)
			require.NoError(t, err)
			require.Equal(t, tt.want, e.Store)
			e, err = Remove(path, tt.registry, true)
			require.NoError(t, err)
			require.Equal(t, tt.want, e.Store)
		})
	}
}

func TestStoreFromTestdata(t *testing.T) {
	for name, want := range map[string]Store{
		"credsstore.json":  {Helper: "desktop", Key: "credsStore"},
		"credhelpers.json": {Helper: "pass", Key: "credHelpers"},
		"existing.json":    {},
	} {
		path := seed(t, t.TempDir(), name, "config.json", 0o600)
		e, err := Add(path, zuul, false)
		require.NoError(t, err, name)
		require.True(t, e.Changed, name)
		require.Equal(t, want, e.Store, name)
	}
}
