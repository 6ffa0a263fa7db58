package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gating/containers/module_utils/registry/reference"
)

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	d3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
)

const dockerManifest = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
 "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"` + d1 + `","size":10},
 "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"` + d2 + `","size":20},
  {"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"` + d3 + `","size":30,"urls":["https://example.com/l"]}]}`

const ociIndex = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
 "manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + d1 + `","size":1,"platform":{"os":"linux","architecture":"amd64"}},
  {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + d2 + `","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}],
 "subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + d3 + `","size":5},
 "artifactType":"application/x.example","annotations":{"a":"b"}}`

func TestParseDockerManifest(t *testing.T) {
	m, err := Parse(MediaTypeDockerManifest, []byte(dockerManifest))
	require.NoError(t, err)
	require.Equal(t, KindImage, m.Kind)
	require.Equal(t, MediaTypeDockerManifest, m.MediaType)
	require.Equal(t, []reference.Digest{d1, d2}, m.Blobs(), "the foreign layer is not required")
	require.Empty(t, m.Children())
	require.Nil(t, m.Subject)
	require.Equal(t, "application/vnd.docker.container.image.v1+json", m.ReferrerArtifactType())
	require.Equal(t, "image "+d1+" "+d2+" "+d3, m.ImageIdentity(nil), "without the config: by digest")
}

func TestParseIndex(t *testing.T) {
	m, err := Parse("application/vnd.oci.image.index.v1+json; charset=utf-8", []byte(ociIndex))
	require.NoError(t, err)
	require.Equal(t, KindIndex, m.Kind)
	require.Nil(t, m.Blobs())
	require.Equal(t, []reference.Digest{d1, d2}, m.Children())
	require.Equal(t, reference.Digest(d3), m.Subject.Digest)
	require.Equal(t, "application/x.example", m.ReferrerArtifactType())
	id := m.IndexIdentity(func(d reference.Digest) string { return "id-" + string(d)[7:9] })
	require.Equal(t, "index [linux/amd64//=id-11, linux/arm64/v8/=id-22]", id)
	// the identity does not depend on the order of the children
	swapped := strings.Replace(strings.Replace(ociIndex, d1, "X", 1), d2, d1, 1)
	swapped = strings.Replace(swapped, "X", d2, 1)
	m2, err := Parse("", []byte(swapped))
	require.NoError(t, err)
	require.Equal(t, "index [linux/amd64//=id-22, linux/arm64/v8/=id-11]",
		m2.IndexIdentity(func(d reference.Digest) string { return "id-" + string(d)[7:9] }))
}

func TestParseMediaTypeRules(t *testing.T) {
	noType := `{"schemaVersion":2,"config":{"mediaType":"x","digest":"` + d1 + `","size":1},"layers":[]}`
	noTypeIndex := `{"schemaVersion":2,"manifests":[]}`
	tests := []struct {
		name, contentType, body string
		want                    string // media type, or "" for an error
	}{
		{"body and header agree", MediaTypeDockerManifest, dockerManifest, MediaTypeDockerManifest},
		{"body only", "", dockerManifest, MediaTypeDockerManifest},
		{"generic header", "application/json", dockerManifest, MediaTypeDockerManifest},
		{"header only", MediaTypeOCIManifest, noType, MediaTypeOCIManifest},
		{"docker header without body type", MediaTypeDockerManifest, noType, MediaTypeDockerManifest},
		{"neither: image by shape", "", noType, MediaTypeOCIManifest},
		{"neither: index by shape", "", noTypeIndex, MediaTypeOCIIndex},
		{"mismatch", MediaTypeOCIManifest, dockerManifest, ""},
		{"unknown type", "application/vnd.oci.artifact.manifest.v1+json", noType, ""},
		{"index type on an image", MediaTypeOCIIndex, noType, ""},
		{"bad header", "a/b; =", dockerManifest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.contentType, []byte(tt.body))
			if tt.want == "" {
				require.ErrorIs(t, err, ErrInvalid)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, m.MediaType)
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := map[string]string{
		"not JSON":           `{"schemaVersion":2,`,
		"trailing data":      dockerManifest + ` {}`,
		"array":              `[]`,
		"null":               `null`,
		"schema 1":           `{"schemaVersion":1,"fsLayers":[]}`,
		"schema 1 type":      `{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"}`,
		"no schemaVersion":   `{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`,
		"schemaVersion 3":    `{"schemaVersion":3,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`,
		"image no config":    `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}`,
		"bad layer digest":   strings.Replace(dockerManifest, d2, "sha256:abc", 1),
		"bad config digest":  strings.Replace(dockerManifest, d1, "nodigest", 1),
		"negative size":      strings.Replace(dockerManifest, `"size":20`, `"size":-1`, 1),
		"size not a number":  strings.Replace(dockerManifest, `"size":20`, `"size":"20"`, 1),
		"index with config":  strings.Replace(ociIndex, `"manifests":`, `"config":{"mediaType":"x","digest":"`+d1+`","size":1},"manifests":`, 1),
		"bad child digest":   strings.Replace(ociIndex, d2, "sha256:"+strings.Repeat("Z", 64), 1),
		"bad subject digest": strings.Replace(ociIndex, d3, "sha256:", 1),
		"image and index":    `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"` + d1 + `","size":1},"manifests":[]}`,
		"empty":              ``,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("", []byte(body))
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

// A digest of an algorithm the registry does not implement is well-formed:
// the manifest is valid, the blob simply cannot be in the registry.
func TestParseAcceptsOtherAlgorithms(t *testing.T) {
	body := strings.Replace(dockerManifest, d2, "blake3:abcdef", 1)
	m, err := Parse("", []byte(body))
	require.NoError(t, err)
	require.Contains(t, m.Blobs(), reference.Digest("blake3:abcdef"))
}

func FuzzParse(f *testing.F) {
	f.Add(MediaTypeDockerManifest, []byte(dockerManifest))
	f.Add("", []byte(ociIndex))
	f.Add(MediaTypeOCIManifest, []byte(`{"schemaVersion":2,"config":{"digest":"`+d1+`","size":0}}`))
	f.Add("application/json", []byte(`{"schemaVersion":1,"fsLayers":[]}`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		m, err := Parse(contentType, body)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse: error %v does not wrap ErrInvalid", err)
			}
			return
		}
		switch m.Kind {
		case KindImage:
			if m.Config == nil || m.Manifests != nil {
				t.Fatal("image manifest without config, or with manifests")
			}
			_ = m.ImageIdentity(body)
		case KindIndex:
			if m.Config != nil || m.Layers != nil {
				t.Fatal("index with config or layers")
			}
			_ = m.IndexIdentity(func(reference.Digest) string { return "" })
		default:
			t.Fatalf("Parse accepted kind %d", m.Kind)
		}
		for _, d := range append(m.Blobs(), m.Children()...) {
			if _, err := reference.ParseDigest(string(d)); err != nil && !errors.Is(err, reference.ErrDigestUnsupported) {
				t.Fatalf("Parse accepted a malformed digest %q", d)
			}
		}
	})
}
