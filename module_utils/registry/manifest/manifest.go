// Package manifest validates the manifests a registry accepts (Docker
// schema 2 manifests and manifest lists, OCI image manifests and indexes,
// artifacts packaged as either) and extracts what the registry needs from
// them: the blobs and child manifests they require, their subject, and the
// image identity that decides whether two formats hold the same image.
// The bytes themselves are never rewritten: callers store what was sent.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"sort"
	"strings"

	"github.com/gating/containers/module_utils/registry/reference"
)

// The manifest media types the registry stores.
const (
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex       = "application/vnd.oci.image.index.v1+json"
)

// MediaTypes lists the accepted media types.
var MediaTypes = []string{MediaTypeDockerManifest, MediaTypeDockerList, MediaTypeOCIManifest, MediaTypeOCIIndex}

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("invalid manifest")

// Kind tells image manifests from indexes.
type Kind int

// The two shapes of manifest.
const (
	KindImage Kind = iota + 1 // a config and layers
	KindIndex                 // a list of manifests
)

// Descriptor points at content. Digest is checked by Parse.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       reference.Digest  `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Platform     *Platform         `json:"platform,omitempty"`
}

// Platform is the platform of an index entry.
type Platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
	OSVersion    string `json:"os.version,omitempty"`
}

// Manifest is what the registry reads from a manifest.
type Manifest struct {
	MediaType    string // effective media type: the body's, else the request's, else by shape
	Kind         Kind
	Config       *Descriptor  // KindImage only
	Layers       []Descriptor // KindImage only
	Manifests    []Descriptor // KindIndex only
	Subject      *Descriptor
	ArtifactType string
	Annotations  map[string]string
}

// wire is the union of the fields of all accepted manifests.
type wire struct {
	SchemaVersion *int              `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *Descriptor       `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Manifests     []Descriptor      `json:"manifests"`
	Subject       *Descriptor       `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
	FSLayers      json.RawMessage   `json:"fsLayers"` // schema 1
}

// genericTypes are Content-Types that say nothing about the manifest: the
// body's mediaType (or its shape) decides.
var genericTypes = map[string]bool{
	"":                         true,
	"application/json":         true,
	"application/octet-stream": true,
	"text/plain":               true,
}

// Parse validates body as a manifest sent with the given Content-Type. The
// Content-Type and the body's mediaType must agree when both are given;
// the body must be JSON of schemaVersion 2 with well-formed descriptors.
func Parse(contentType string, body []byte) (*Manifest, error) {
	ct := ""
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil {
			return nil, fmt.Errorf("content type %q: %w", contentType, ErrInvalid)
		}
		ct = mt
	}
	if genericTypes[ct] {
		ct = ""
	}
	var w wire
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("decoding JSON: %v: %w", err, ErrInvalid)
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		return nil, fmt.Errorf("data after the JSON document: %w", ErrInvalid)
	}
	if w.FSLayers != nil || strings.HasPrefix(ct, "application/vnd.docker.distribution.manifest.v1") ||
		strings.HasPrefix(w.MediaType, "application/vnd.docker.distribution.manifest.v1") {
		return nil, fmt.Errorf("docker schema 1 manifests are not supported: %w", ErrInvalid)
	}
	mt := w.MediaType
	switch {
	case mt != "" && ct != "" && mt != ct:
		return nil, fmt.Errorf("mediaType %q does not match Content-Type %q: %w", mt, ct, ErrInvalid)
	case mt == "" && ct != "":
		mt = ct
	case mt == "" && w.Manifests != nil && w.Config == nil:
		mt = MediaTypeOCIIndex
	case mt == "" && w.Config != nil:
		mt = MediaTypeOCIManifest
	}
	m := &Manifest{MediaType: mt, ArtifactType: w.ArtifactType, Annotations: w.Annotations}
	switch mt {
	case MediaTypeDockerManifest, MediaTypeOCIManifest:
		m.Kind = KindImage
	case MediaTypeDockerList, MediaTypeOCIIndex:
		m.Kind = KindIndex
	case "":
		return nil, fmt.Errorf("no mediaType, and neither config nor manifests: %w", ErrInvalid)
	default:
		return nil, fmt.Errorf("unsupported media type %q (accepted: %s): %w", mt, strings.Join(MediaTypes, ", "), ErrInvalid)
	}
	if w.SchemaVersion == nil || *w.SchemaVersion != 2 {
		return nil, fmt.Errorf("schemaVersion must be 2: %w", ErrInvalid)
	}
	if m.Kind == KindImage {
		if w.Config == nil {
			return nil, fmt.Errorf("image manifest without config: %w", ErrInvalid)
		}
		if w.Manifests != nil {
			return nil, fmt.Errorf("image manifest with manifests: %w", ErrInvalid)
		}
		if err := checkDescriptor("config", w.Config); err != nil {
			return nil, err
		}
		for i := range w.Layers {
			if err := checkDescriptor(fmt.Sprintf("layers[%d]", i), &w.Layers[i]); err != nil {
				return nil, err
			}
		}
		m.Config, m.Layers = w.Config, w.Layers
	} else {
		if w.Config != nil || w.Layers != nil {
			return nil, fmt.Errorf("index with config or layers: %w", ErrInvalid)
		}
		for i := range w.Manifests {
			if err := checkDescriptor(fmt.Sprintf("manifests[%d]", i), &w.Manifests[i]); err != nil {
				return nil, err
			}
		}
		m.Manifests = w.Manifests
	}
	if w.Subject != nil {
		if err := checkDescriptor("subject", w.Subject); err != nil {
			return nil, err
		}
		m.Subject = w.Subject
	}
	return m, nil
}

// checkDescriptor requires a well-formed digest and a size that is not
// negative. Digests of algorithms the registry does not implement are
// well-formed; such content simply cannot be found in it.
func checkDescriptor(field string, d *Descriptor) error {
	if _, err := reference.ParseDigest(string(d.Digest)); err != nil && !errors.Is(err, reference.ErrDigestUnsupported) {
		return fmt.Errorf("%s: %v: %w", field, err, ErrInvalid)
	}
	if d.Size < 0 {
		return fmt.Errorf("%s: negative size %d: %w", field, d.Size, ErrInvalid)
	}
	return nil
}

// Blobs returns the blobs an image manifest requires in its repository:
// the config and every layer that is not foreign (a layer with urls is
// fetched from elsewhere and need not be pushed).
func (m *Manifest) Blobs() []reference.Digest {
	if m.Kind != KindImage {
		return nil
	}
	out := []reference.Digest{m.Config.Digest}
	for _, l := range m.Layers {
		if len(l.URLs) == 0 {
			out = append(out, l.Digest)
		}
	}
	return out
}

// Children returns the manifests an index requires in its repository.
func (m *Manifest) Children() []reference.Digest {
	out := make([]reference.Digest, 0, len(m.Manifests))
	for _, c := range m.Manifests {
		out = append(out, c.Digest)
	}
	return out
}

// ReferrerArtifactType is the artifactType a referrers listing shows for m:
// its artifactType, else for an image manifest the config's media type.
func (m *Manifest) ReferrerArtifactType() string {
	if m.ArtifactType != "" || m.Kind != KindImage {
		return m.ArtifactType
	}
	return m.Config.MediaType
}

// ImageIdentity describes the image an image manifest holds, independent of
// its format: its configuration as an OCI image configuration (see
// ConfigIdentity; config is the config blob, nil when unknown) and the
// layer digests in order. A Docker schema 2 manifest and its OCI conversion
// (which rewrites the config blob) have the same identity.
func (m *Manifest) ImageIdentity(config []byte) string {
	var b strings.Builder
	b.WriteString("image ")
	if id, ok := ConfigIdentity(m.Config.MediaType, config); ok {
		b.WriteString(id)
	} else {
		b.WriteString(string(m.Config.Digest))
	}
	for _, l := range m.Layers {
		b.WriteString(" ")
		b.WriteString(string(l.Digest))
	}
	return b.String()
}

// IndexIdentity describes the images an index holds, given the identity of
// each child: the sorted set of (platform, child identity). A Docker
// manifest list and its OCI conversion have the same identity although the
// children's digests differ.
func (m *Manifest) IndexIdentity(child func(reference.Digest) string) string {
	parts := make([]string, 0, len(m.Manifests))
	for _, c := range m.Manifests {
		p := ""
		if c.Platform != nil {
			p = c.Platform.OS + "/" + c.Platform.Architecture + "/" + c.Platform.Variant + "/" + c.Platform.OSVersion
		}
		parts = append(parts, p+"="+child(c.Digest))
	}
	sort.Strings(parts)
	return "index [" + strings.Join(parts, ", ") + "]"
}
