package imagecopy

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// maxManifest bounds the manifests read (registries must accept 4 MiB).
const maxManifest = 8 << 20

// manifestTypes are the manifests a copy asks for, indexes first.
var manifestTypes = []types.MediaType{
	types.OCIImageIndex,
	types.DockerManifestList,
	types.OCIManifestSchema1, // the OCI image manifest, despite the name
	types.DockerManifestSchema2,
}

var acceptManifests = func() string {
	s := make([]string, len(manifestTypes))
	for i, t := range manifestTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}()

// manifest is a manifest as stored: its exact bytes, their media type and
// digest.
type manifest struct {
	raw       []byte
	mediaType types.MediaType
	digest    v1.Hash
}

func (m *manifest) isIndex() bool { return m.mediaType.IsIndex() }

// digestOf hashes raw with the algorithm of want (sha256 by default).
func digestOf(raw []byte, algorithm string) (v1.Hash, error) {
	if algorithm == "" {
		algorithm = "sha256"
	}
	h, err := v1.Hasher(algorithm)
	if err != nil {
		return v1.Hash{}, err
	}
	h.Write(raw)
	return v1.Hash{Algorithm: algorithm, Hex: hex.EncodeToString(h.Sum(nil))}, nil
}

// mediaTypeOf settles the media type of a manifest: the one it declares,
// else the one it was served as, else the one its parent's descriptor
// gives, else its shape.
func mediaTypeOf(raw []byte, contentType string, parent types.MediaType) (types.MediaType, error) {
	var doc struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     types.MediaType `json:"mediaType"`
		Manifests     json.RawMessage `json:"manifests"`
		Config        json.RawMessage `json:"config"`
		FSLayers      json.RawMessage `json:"fsLayers"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return "", fmt.Errorf("manifest is not JSON: %w", err)
	}
	served := types.MediaType("")
	if ct, _, err := mime.ParseMediaType(contentType); err == nil {
		served = types.MediaType(ct)
	}
	for _, t := range []types.MediaType{doc.MediaType, served, parent} {
		if t.IsIndex() || t.IsImage() || t.IsSchema1() {
			return t, nil
		}
	}
	switch {
	case doc.SchemaVersion == 1 || doc.FSLayers != nil:
		return types.DockerManifestSchema1, nil
	case doc.Manifests != nil:
		return types.OCIImageIndex, nil
	case doc.Config != nil:
		return types.OCIManifestSchema1, nil
	}
	return "", fmt.Errorf("not a manifest this copy knows (media type %q, served as %q)", doc.MediaType, served)
}

// getManifest fetches a manifest by tag or digest and checks its digest.
// parent is the media type a parent index gives it, if any.
func (s *session) getManifest(ctx context.Context, ref string, parent types.MediaType) (*manifest, error) {
	var m *manifest
	err := s.retry.do(ctx, s.repo.RegistryStr(), func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("manifests/"+ref, nil), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", acceptManifests)
		resp, err := s.send(req, http.StatusOK)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxManifest+1))
		if err != nil {
			return err
		}
		if len(raw) > maxManifest {
			return fmt.Errorf("manifest %s is larger than %d bytes", ref, maxManifest)
		}
		m, err = s.checkManifest(ref, raw, resp, parent)
		return err
	})
	return m, err
}

func (s *session) checkManifest(ref string, raw []byte, resp *http.Response, parent types.MediaType) (*manifest, error) {
	var want v1.Hash
	if strings.Contains(ref, ":") {
		var err error
		if want, err = v1.NewHash(ref); err != nil {
			return nil, fmt.Errorf("digest %q: %w", ref, err)
		}
	} else if h, err := v1.NewHash(resp.Header.Get("Docker-Content-Digest")); err == nil {
		want = h
	}
	got, err := digestOf(raw, want.Algorithm)
	if err != nil {
		return nil, err
	}
	if want.Hex != "" && got != want {
		return nil, fmt.Errorf("registry %s served %s/manifests/%s with digest %s, not %s",
			s.repo.RegistryStr(), s.repo.RepositoryStr(), ref, got, want)
	}
	mt, err := mediaTypeOf(raw, resp.Header.Get("Content-Type"), parent)
	if err != nil {
		return nil, fmt.Errorf("%s/manifests/%s: %w", s.repo.Name(), ref, err)
	}
	if mt.IsSchema1() {
		return nil, fmt.Errorf("%s/manifests/%s is a Docker schema 1 manifest, which this copy does not support", s.repo.Name(), ref)
	}
	return &manifest{raw: raw, mediaType: mt, digest: got}, nil
}

// headManifest tells the digest ref names, if it exists.
func (s *session) headManifest(ctx context.Context, ref string) (v1.Hash, bool, error) {
	var (
		digest v1.Hash
		found  bool
	)
	err := s.retry.do(ctx, s.repo.RegistryStr(), func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, s.url("manifests/"+ref, nil), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", acceptManifests)
		resp, err := s.send(req, http.StatusOK, http.StatusNotFound)
		if err != nil {
			return err
		}
		discard(resp)
		found = resp.StatusCode == http.StatusOK
		if found {
			digest, _ = v1.NewHash(resp.Header.Get("Docker-Content-Digest"))
		}
		return nil
	})
	if err != nil || !found || digest.Hex != "" {
		return digest, found, err
	}
	// Some registries leave the digest out of HEAD answers: read it.
	m, err := s.getManifest(ctx, ref, "")
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
			return v1.Hash{}, false, nil
		}
		return v1.Hash{}, false, err
	}
	return m.digest, true, nil
}

// putManifest stores m's bytes under ref (a tag or its digest).
func (s *session) putManifest(ctx context.Context, ref string, m *manifest) error {
	return s.retry.do(ctx, s.repo.RegistryStr(), func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.url("manifests/"+ref, nil), bytes.NewReader(m.raw))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", string(m.mediaType))
		resp, err := s.send(req, http.StatusCreated, http.StatusOK, http.StatusAccepted, http.StatusNoContent)
		if err != nil {
			return err
		}
		discard(resp)
		if h, err := v1.NewHash(resp.Header.Get("Docker-Content-Digest")); err == nil && h.Algorithm == m.digest.Algorithm && h != m.digest {
			return fmt.Errorf("registry %s stored the manifest %s as %s: it changed the bytes", s.repo.RegistryStr(), m.digest, h)
		}
		return nil
	})
}

// children lists the manifests an index names, and the blobs an image
// manifest needs (config and distributable layers).
func (m *manifest) children() (manifests, blobs []v1.Descriptor, err error) {
	if m.isIndex() {
		idx, err := v1.ParseIndexManifest(bytes.NewReader(m.raw))
		if err != nil {
			return nil, nil, fmt.Errorf("index %s: %w", m.digest, err)
		}
		return idx.Manifests, nil, nil
	}
	im, err := v1.ParseManifest(bytes.NewReader(m.raw))
	if err != nil {
		return nil, nil, fmt.Errorf("manifest %s: %w", m.digest, err)
	}
	if im.Config.Digest.Hex != "" {
		blobs = append(blobs, im.Config)
	}
	for _, l := range im.Layers {
		// Foreign layers live at their URLs, not in registries.
		if len(l.URLs) > 0 && !l.MediaType.IsDistributable() {
			continue
		}
		blobs = append(blobs, l)
	}
	return nil, blobs, nil
}

// parsePlatform reads "os/arch[/variant]".
func parsePlatform(s string) (*v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return nil, fmt.Errorf("platform %q: want os/arch or os/arch/variant, e.g. linux/amd64", s)
	}
	return p, nil
}

// normal fills in the variant arm64 images usually leave out.
func normal(p v1.Platform) v1.Platform {
	if p.Architecture == "arm64" && p.Variant == "" {
		p.Variant = "v8"
	}
	return p
}

// pick chooses the descriptor of the platform's image in an index.
func pick(m *manifest, want *v1.Platform) (v1.Descriptor, error) {
	descs, _, err := m.children()
	if err != nil {
		return v1.Descriptor{}, err
	}
	var have []string
	for _, d := range descs {
		if d.Platform == nil {
			continue
		}
		if normal(*d.Platform).Satisfies(normal(*want)) {
			return d, nil
		}
		have = append(have, d.Platform.String())
	}
	if len(have) == 0 {
		return v1.Descriptor{}, fmt.Errorf("the index has no image for %s (it names no platforms)", want)
	}
	return v1.Descriptor{}, fmt.Errorf("the index has no image for %s (it has %s)", want, strings.Join(have, ", "))
}
