//go:build e2e

package e2e

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Media types of the images the tests build and the clients write.
const (
	mtIndex          = "application/vnd.oci.image.index.v1+json"
	mtManifest       = "application/vnd.oci.image.manifest.v1+json"
	mtConfig         = "application/vnd.oci.image.config.v1+json"
	mtLayer          = "application/vnd.oci.image.layer.v1.tar+gzip"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
)

// acceptAll is the Accept header of a client that takes any manifest.
var acceptAll = strings.Join([]string{mtIndex, mtManifest, mtDockerList, mtDockerManifest}, ", ")

const refNameAnnotation = "org.opencontainers.image.ref.name"

const MiB = 1 << 20

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// layer is a layer blob and the digest of its uncompressed tar.
type layer struct {
	descriptor
	diffID string
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newRand is a fast random stream, seeded unpredictably: every run
// pushes content no registry has seen.
func newRand() *mrand.ChaCha8 {
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	return mrand.NewChaCha8(seed)
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// hashReader returns the sha256 digest of what r yields and its length.
func hashReader(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n, err
}

func hashFile(t *testing.T, path string) (string, int64) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	d, n, err := hashReader(f)
	require.NoError(t, err)
	return d, n
}

// layout is an OCI image layout directory.
type layout struct {
	t   *testing.T
	dir string
}

// newLayout creates an empty layout in dir.
func newLayout(t *testing.T, dir string) *layout {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.json"), []byte(`{"schemaVersion":2,"manifests":[]}`), 0o644))
	return &layout{t: t, dir: dir}
}

// openLayout is a layout a client wrote.
func openLayout(t *testing.T, dir string) *layout { return &layout{t: t, dir: dir} }

func (l *layout) blobPath(digest string) string {
	alg, hexPart, ok := strings.Cut(digest, ":")
	require.True(l.t, ok, "digest %q", digest)
	return filepath.Join(l.dir, "blobs", alg, hexPart)
}

func (l *layout) putBlob(mediaType string, data []byte) descriptor {
	d := descriptor{MediaType: mediaType, Digest: sha256Digest(data), Size: int64(len(data))}
	require.NoError(l.t, os.WriteFile(l.blobPath(d.Digest), data, 0o644))
	return d
}

func (l *layout) putJSON(mediaType string, v any) descriptor {
	b, err := json.Marshal(v)
	require.NoError(l.t, err)
	return l.putBlob(mediaType, b)
}

// putLayer writes a gzipped tar holding one file of size random bytes.
// The gzip stream uses stored blocks: random data does not compress, and
// clients treat it as any gzip layer.
func (l *layout) putLayer(size int64, rnd io.Reader) layer {
	t := l.t
	f, err := os.CreateTemp(filepath.Join(l.dir, "blobs", "sha256"), ".layer-*")
	require.NoError(t, err)
	defer f.Close()
	compressed, uncompressed := sha256.New(), sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, compressed)}
	gz, err := gzip.NewWriterLevel(cw, gzip.NoCompression)
	require.NoError(t, err)
	tw := tar.NewWriter(io.MultiWriter(gz, uncompressed))
	require.NoError(t, tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     "data-" + randomHex(4) + ".bin",
		Mode:     0o644,
		Size:     size,
		ModTime:  time.Unix(0, 0),
	}))
	_, err = io.CopyN(tw, rnd, size)
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	require.NoError(t, f.Close())
	ly := layer{
		descriptor: descriptor{MediaType: mtLayer, Digest: "sha256:" + hex.EncodeToString(compressed.Sum(nil)), Size: cw.n},
		diffID:     "sha256:" + hex.EncodeToString(uncompressed.Sum(nil)),
	}
	require.NoError(t, os.Rename(f.Name(), l.blobPath(ly.Digest)))
	return ly
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// putImage writes the config and manifest of a FROM-scratch-like image
// for p made of layers; the descriptor carries the platform.
func (l *layout) putImage(p platform, layers ...layer) descriptor {
	diffIDs := make([]string, len(layers))
	descs := make([]descriptor, len(layers))
	for i, ly := range layers {
		diffIDs[i], descs[i] = ly.diffID, ly.descriptor
	}
	cfg := l.putJSON(mtConfig, map[string]any{
		"architecture": p.Architecture,
		"os":           p.OS,
		"created":      "2026-01-01T00:00:00Z",
		"config":       map[string]any{"Cmd": []string{"/data"}, "Labels": map[string]string{"e2e": randomHex(4)}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	m := l.putJSON(mtManifest, map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtManifest,
		"config":        cfg,
		"layers":        descs,
	})
	m.Platform = &p
	return m
}

func (l *layout) putIndex(manifests ...descriptor) descriptor {
	return l.putJSON(mtIndex, map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtIndex,
		"manifests":     manifests,
	})
}

type indexJSON struct {
	SchemaVersion int          `json:"schemaVersion"`
	Manifests     []descriptor `json:"manifests"`
}

// tag names d in index.json, for oci:<dir>:<name>.
func (l *layout) tag(name string, d descriptor) {
	d.Platform = nil
	d.Annotations = map[string]string{refNameAnnotation: name}
	var idx indexJSON
	b, err := os.ReadFile(filepath.Join(l.dir, "index.json"))
	require.NoError(l.t, err)
	require.NoError(l.t, json.Unmarshal(b, &idx))
	idx.SchemaVersion = 2
	idx.Manifests = append(idx.Manifests, d)
	b, err = json.Marshal(idx)
	require.NoError(l.t, err)
	require.NoError(l.t, os.WriteFile(filepath.Join(l.dir, "index.json"), b, 0o644))
}

// ref is the descriptor index.json names name.
func (l *layout) ref(name string) descriptor {
	var idx indexJSON
	b, err := os.ReadFile(filepath.Join(l.dir, "index.json"))
	require.NoError(l.t, err)
	require.NoError(l.t, json.Unmarshal(b, &idx))
	for _, d := range idx.Manifests {
		if d.Annotations[refNameAnnotation] == name {
			return d
		}
	}
	l.t.Fatalf("%s: no image named %q in index.json: %s", l.dir, name, b)
	return descriptor{}
}

func (l *layout) readBlob(digest string) []byte {
	b, err := os.ReadFile(l.blobPath(digest))
	require.NoError(l.t, err)
	return b
}

// content is an image's graph: its manifests (indexes included) by
// digest with their bytes, and its other blobs (configs, layers).
type content struct {
	top       descriptor
	manifests map[string][]byte
	blobs     map[string]int64
}

func isManifest(mediaType string) bool {
	switch mediaType {
	case mtIndex, mtManifest, mtDockerList, mtDockerManifest:
		return true
	}
	return false
}

// walk collects the content below top, reading each manifest with get.
func walk(t *testing.T, top descriptor, get func(digest string) []byte) content {
	t.Helper()
	c := content{top: top, manifests: map[string][]byte{}, blobs: map[string]int64{}}
	var visit func(d descriptor)
	visit = func(d descriptor) {
		if !isManifest(d.MediaType) {
			c.blobs[d.Digest] = d.Size
			return
		}
		if _, ok := c.manifests[d.Digest]; ok {
			return
		}
		b := get(d.Digest)
		require.Equal(t, d.Digest, sha256Digest(b), "manifest %s", d.Digest)
		require.EqualValues(t, d.Size, len(b), "manifest %s", d.Digest)
		c.manifests[d.Digest] = b
		var m struct {
			Manifests []descriptor `json:"manifests"`
			Config    *descriptor  `json:"config"`
			Layers    []descriptor `json:"layers"`
		}
		require.NoError(t, json.Unmarshal(b, &m))
		for _, sub := range m.Manifests {
			visit(sub)
		}
		if m.Config != nil {
			visit(*m.Config)
		}
		for _, ly := range m.Layers {
			visit(ly)
		}
	}
	visit(top)
	return c
}

// content is the graph of the image named name.
func (l *layout) content(name string) content {
	return walk(l.t, l.ref(name), l.readBlob)
}

// size is the total of the image's blob sizes.
func (c content) size() int64 {
	var n int64
	for _, s := range c.blobs {
		n += s
	}
	return n
}

// requireSameContent checks that got is want, byte for byte: the same
// top digest, the same manifests, the same blobs.
func requireSameContent(t *testing.T, want, got content) {
	t.Helper()
	require.Equal(t, want.top.Digest, got.top.Digest, "top-level digest")
	require.Equal(t, want.top.MediaType, got.top.MediaType, "top-level media type")
	require.Equal(t, len(want.manifests), len(got.manifests), "number of manifests")
	for d, b := range want.manifests {
		require.Equal(t, string(b), string(got.manifests[d]), "manifest %s", d)
	}
	require.Equal(t, want.blobs, got.blobs, "blobs")
}

// requireBlobsIntact hashes every blob of c in the layout.
func (l *layout) requireBlobsIntact(c content) {
	for d, size := range c.blobs {
		got, n := hashFile(l.t, l.blobPath(d))
		require.Equal(l.t, d, got, "blob %s in %s", d, l.dir)
		require.Equal(l.t, size, n, "blob %s in %s", d, l.dir)
	}
}

// registryContent reads the image repo:ref from the registry,
// anonymously, and checks every manifest by digest too.
func (s *server) registryContent(repo, ref string) content {
	t := s.t
	t.Helper()
	r := s.do(http.MethodGet, "/v2/"+repo+"/manifests/"+ref, "", nil, "Accept", acceptAll)
	require.Equal(t, http.StatusOK, r.status, "GET manifest %s:%s: %s", repo, ref, r.body)
	top := descriptor{
		MediaType: r.header.Get("Content-Type"),
		Digest:    sha256Digest(r.body),
		Size:      int64(len(r.body)),
	}
	require.Equal(t, top.Digest, r.header.Get("Docker-Content-Digest"))
	return walk(t, top, func(digest string) []byte {
		r := s.do(http.MethodGet, "/v2/"+repo+"/manifests/"+digest, "", nil, "Accept", acceptAll)
		require.Equal(t, http.StatusOK, r.status, "GET manifest %s@%s: %s", repo, digest, r.body)
		return r.body
	})
}

// requireBlobsServed downloads every blob of c from repo, anonymously,
// and hashes it.
func (s *server) requireBlobsServed(repo string, c content) {
	t := s.t
	t.Helper()
	for d, size := range c.blobs {
		got, n, status := s.hashBlob(repo, d)
		require.Equal(t, http.StatusOK, status, "GET blob %s of %s", d, repo)
		require.Equal(t, d, got, "blob %s of %s", d, repo)
		require.Equal(t, size, n, "blob %s of %s", d, repo)
	}
}

// hashBlob streams blob d of repo through sha256.
func (s *server) hashBlob(repo, d string) (string, int64, int) {
	t := s.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("/v2/"+repo+"/blobs/"+d), nil)
	require.NoError(t, err)
	resp, err := s.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return "", 0, resp.StatusCode
	}
	got, n, err := hashReader(resp.Body)
	require.NoError(t, err)
	return got, n, resp.StatusCode
}

// requireStoredBlobsIntact checks that every blob file in the registry's
// storage hashes to its own name: nothing partial or corrupt is ever in
// place. Temporary files start with a dot and are not content; it
// returns how many blobs it checked.
func (s *server) requireStoredBlobsIntact() int {
	t := s.t
	t.Helper()
	base := filepath.Join(s.storage, "blobs")
	checked := 0
	for _, rel := range storageFiles(t, base) {
		parts := strings.Split(filepath.ToSlash(rel), "/")
		name := parts[len(parts)-1]
		if strings.HasPrefix(name, ".") {
			t.Logf("temporary file in blobs/: %s", rel)
			continue
		}
		require.Len(t, parts, 3, "unexpected file blobs/%s", rel)
		require.Equal(t, "sha256", parts[0], "blobs/%s", rel)
		require.Equal(t, name[:2], parts[1], "blobs/%s", rel)
		got, _ := hashFile(t, filepath.Join(base, rel))
		require.Equal(t, "sha256:"+name, got, "blobs/%s does not hash to its name", rel)
		checked++
	}
	return checked
}

// fmtSize is n in MiB, for logs.
func fmtSize(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/MiB) }
