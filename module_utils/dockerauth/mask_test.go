package dockerauth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every credential in the testdata files, and those the tests write.
var testSecrets = []string{
	password,
	zuul.Auth(),
	"enV1bDpvbGQtcGFzc3dvcmQ=", // zuul:old-password
	"old-refresh-token",
	"cXVheXVzZXI6cXVheXBhc3M=", // quayuser:quaypass
	"aHVidXNlcjpodWJwYXNz",     // hubuser:hubpass
	"c2VjcmV0",                 // secret
	"plain-secret",
	"bearer-secret",
}

func requireNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range testSecrets {
		require.NotContains(t, s, secret)
	}
}

func TestMaskDiffGolden(t *testing.T) {
	tests := []struct {
		name          string
		before, after string // testdata files; "" for no file
	}{
		{"update", "update.json", "update.golden.json"},
		{"add to existing", "existing.json", "add-existing.golden.json"},
		{"fresh", "", "fresh.golden.json"},
		{"remove", "update.json", "remove.golden.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read := func(name string) []byte {
				if name == "" {
					return nil
				}
				data, err := os.ReadFile(filepath.Join("testdata", name))
				require.NoError(t, err)
				return data
			}
			before, after := MaskDiff(read(tt.before), read(tt.after))
			requireNoSecret(t, before)
			requireNoSecret(t, after)
			require.NotContains(t, before, MaskChanged, "before values are never marked changed")
			slug := strings.ReplaceAll(tt.name, " ", "-")
			golden(t, "mask-"+slug+".before.golden.json", []byte(before))
			golden(t, "mask-"+slug+".after.golden.json", []byte(after))
		})
	}
}

func TestMaskDiffMarksOnlyChangedValues(t *testing.T) {
	before := `{"auths": {"a": {"auth": "c2VjcmV0"}, "b": {"auth": "c2VjcmV0"}}}`
	after := `{"auths": {"a": {"auth": "c2VjcmV0"}, "b": {"auth": "` + zuul.Auth() + `"}, "c": {"auth": "c2VjcmV0"}}}`
	_, got := MaskDiff([]byte(before), []byte(after))
	require.Equal(t, "{\n\t\"auths\": {\n"+
		"\t\t\"a\": {\n\t\t\t\"auth\": \"********\"\n\t\t},\n"+
		"\t\t\"b\": {\n\t\t\t\"auth\": \"******** (changed)\"\n\t\t},\n"+
		"\t\t\"c\": {\n\t\t\t\"auth\": \"******** (changed)\"\n\t\t}\n"+
		"\t}\n}\n", got)
}

func TestMaskDiffOddContent(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", ""},
		{"unparseable", `{"auths": {"x": {"auth": "c2VjcmV0"`, unreadable},
		{"auths not an object", `{"auths": "c2VjcmV0"}`, "{\n\t\"auths\": \"********\"\n}\n"},
		{"entry not an object", `{"auths": {"x": "c2VjcmV0", "y": null}}`,
			"{\n\t\"auths\": {\n\t\t\"x\": \"********\",\n\t\t\"y\": null\n\t}\n}\n"},
		{"every secret key", `{"auths": {"x": {"username": "zuul", "password": "plain-secret", "auth": "c2VjcmV0", "identitytoken": "old-refresh-token", "registrytoken": "bearer-secret", "email": "a@b"}}}`,
			"{\n\t\"auths\": {\n\t\t\"x\": {\n\t\t\t\"username\": \"zuul\",\n\t\t\t\"password\": \"********\",\n\t\t\t\"auth\": \"********\",\n" +
				"\t\t\t\"identitytoken\": \"********\",\n\t\t\t\"registrytoken\": \"********\",\n\t\t\t\"email\": \"a@b\"\n\t\t}\n\t}\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, after := MaskDiff([]byte(tt.content), []byte(tt.content))
			require.Equal(t, tt.want, before)
			requireNoSecret(t, after)
		})
	}
}
