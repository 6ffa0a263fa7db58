package storage

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gating/containers/module_utils/registry/manifest"
	"github.com/gating/containers/module_utils/registry/reference"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	return s
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// pushBlob uploads data into repo in one append and returns its digest.
func pushBlob(t *testing.T, s *Store, repo string, data []byte) reference.Digest {
	t.Helper()
	u, err := s.NewUpload(repo)
	require.NoError(t, err)
	_, err = u.Append(bytes.NewReader(data), 0)
	require.NoError(t, err)
	d := reference.SHA256.FromBytes(data)
	require.NoError(t, u.Commit(d))
	return d
}

// readBlob returns the content of blob d as repo serves it.
func readBlob(t *testing.T, s *Store, repo string, d reference.Digest) []byte {
	t.Helper()
	f, _, err := s.OpenBlob(repo, d)
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	return b
}

type desc = manifest.Descriptor

// imageManifest returns the bytes and parse of an image manifest of the
// given media type over config and layers.
func imageManifest(t *testing.T, mediaType string, config desc, layers ...desc) ([]byte, *manifest.Manifest) {
	t.Helper()
	if layers == nil {
		layers = []desc{}
	}
	b, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaType,
		"config":        config,
		"layers":        layers,
	})
	require.NoError(t, err)
	m, err := manifest.Parse(mediaType, b)
	require.NoError(t, err)
	return b, m
}

func indexManifest(t *testing.T, mediaType string, children ...desc) ([]byte, *manifest.Manifest) {
	t.Helper()
	if children == nil {
		children = []desc{}
	}
	b, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaType,
		"manifests":     children,
	})
	require.NoError(t, err)
	m, err := manifest.Parse(mediaType, b)
	require.NoError(t, err)
	return b, m
}

// image pushes a config and one layer into repo and returns their
// descriptors.
func image(t *testing.T, s *Store, repo string) (config, layer desc) {
	t.Helper()
	c := randomBytes(t, 64)
	l := randomBytes(t, 256)
	config = desc{MediaType: "application/vnd.oci.image.config.v1+json", Digest: pushBlob(t, s, repo, c), Size: int64(len(c))}
	layer = desc{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: pushBlob(t, s, repo, l), Size: int64(len(l))}
	return config, layer
}

func putManifest(t *testing.T, s *Store, repo string, content []byte, m *manifest.Manifest, tags ...string) reference.Digest {
	t.Helper()
	d := reference.SHA256.FromBytes(content)
	require.NoError(t, s.PutManifest(repo, d, content, m, tags...))
	return d
}

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
