package manifest

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testdata/config-docker.json is the config docker 20.10 pushed for an
// imported busybox; config-skopeo-oci.json is what skopeo 1.9 made of it
// with --format oci (a rewritten blob with another digest).
func TestConfigIdentityOfAConversion(t *testing.T) {
	docker, err := os.ReadFile("testdata/config-docker.json")
	require.NoError(t, err)
	oci, err := os.ReadFile("testdata/config-skopeo-oci.json")
	require.NoError(t, err)
	require.NotEqual(t, docker, oci)

	dockerID, ok := ConfigIdentity(MediaTypeDockerConfig, docker)
	require.True(t, ok)
	ociID, ok := ConfigIdentity(MediaTypeOCIConfig, oci)
	require.True(t, ok)
	require.Equal(t, dockerID, ociID, "the same image")

	// anything an OCI client sees makes another image
	for _, change := range [][2]string{
		{`"Cmd":["/bin/sh"]`, `"Cmd":["/bin/ash"]`},
		{`"Cmd":["/bin/sh"]`, `"Cmd":["/bin/sh"],"Env":["A=1"]`},
		{`"Cmd":["/bin/sh"]`, `"Cmd":["/bin/sh"],"Labels":{"a":"b"}`},
		{`"architecture":"amd64"`, `"architecture":"arm64"`},
		{`sha256:2b58a25b`, `sha256:3b58a25b`},
		{`"created":"2026-11-26T23:38:12.939925365Z","arch`, `"created":"2026-11-26T23:38:13Z","arch`},
		{`"comment":"Imported from -"}]`, `"comment":"Imported from -"},{"created_by":"RUN x"}]`},
	} {
		changed := strings.Replace(string(oci), change[0], change[1], 1)
		require.NotEqual(t, string(oci), changed, change[0])
		id, ok := ConfigIdentity(MediaTypeOCIConfig, []byte(changed))
		require.True(t, ok)
		require.NotEqual(t, ociID, id, "%s -> %s", change[0], change[1])
	}

	// the same instant written another way is the same
	offset := strings.ReplaceAll(string(oci), `23:38:12.939925365Z`, `23:38:12.939925365+00:00`)
	id, ok := ConfigIdentity(MediaTypeOCIConfig, []byte(offset))
	require.True(t, ok)
	require.Equal(t, ociID, id)
	// docker-only fields do not count
	hc := strings.Replace(string(docker), `"OnBuild":null`, `"Healthcheck":{"Test":["CMD","true"]}`, 1)
	id, ok = ConfigIdentity(MediaTypeDockerConfig, []byte(hc))
	require.True(t, ok)
	require.Equal(t, dockerID, id)
}

func TestConfigIdentityFallsBack(t *testing.T) {
	oci, err := os.ReadFile("testdata/config-skopeo-oci.json")
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		mediaType string
		blob      []byte
	}{
		"artifact config":    {"application/vnd.oci.empty.v1+json", []byte("{}")},
		"not JSON":           {MediaTypeOCIConfig, []byte("{")},
		"no rootfs":          {MediaTypeOCIConfig, []byte(`{"architecture":"amd64","os":"linux"}`)},
		"wrong types":        {MediaTypeOCIConfig, []byte(`{"rootfs":{"type":"layers","diff_ids":[1]}}`)},
		"unknown":            {MediaTypeDockerConfig, nil},
		"too large":          {MediaTypeOCIConfig, append(oci, make([]byte, MaxConfigSize)...)},
		"other content type": {"application/json", oci},
	} {
		t.Run(name, func(t *testing.T) {
			_, ok := ConfigIdentity(tc.mediaType, tc.blob)
			require.False(t, ok)
		})
	}
	// an image identity without a usable config names the config digest
	m, err := Parse("", []byte(dockerManifest))
	require.NoError(t, err)
	require.Contains(t, m.ImageIdentity([]byte("{")), d1)
	require.NotContains(t, m.ImageIdentity(oci), d1)
}
