package dockerfile

import (
	"fmt"
	"strings"

	"github.com/gating/containers/module_utils/mirror"
	"github.com/google/go-containerregistry/pkg/name"
)

// DockerHub is the canonical host of Docker Hub images.
const DockerHub = "docker.io"

// Image is an image a Dockerfile builds from, its name parsed.
type Image struct {
	// Name is the image as the Dockerfile names it, after expansion.
	Name string
	// Line is where the Dockerfile first names it.
	Line int
	// Registry is the registry's host[:port], docker.io for Docker Hub.
	Registry string
	// Repository is the repository's path there (library/busybox).
	Repository string
	// Tag is the tag, latest when none is written; "" when the image is
	// pinned by Digest (a tag written beside a digest is ignored, as
	// pulls do).
	Tag string
	// Digest is the digest the image is pinned by, if any.
	Digest string
}

// NewImage parses an image reference (busybox, quay.io/org/img:1,
// repo@sha256:...) with go-containerregistry's name package.
func NewImage(s string) (Image, error) {
	ref, err := name.ParseReference(s)
	if err != nil {
		return Image{}, fmt.Errorf("image reference %q: %w", s, err)
	}
	img := Image{
		Name:       s,
		Registry:   ref.Context().RegistryStr(),
		Repository: ref.Context().RepositoryStr(),
	}
	if img.Registry == name.DefaultRegistry {
		img.Registry = DockerHub
	}
	switch r := ref.(type) {
	case name.Digest:
		img.Digest = r.DigestStr()
	case name.Tag:
		img.Tag = r.TagStr()
	}
	return img, nil
}

// Identifier is the digest the image is pinned by, else its tag.
func (i Image) Identifier() string {
	if i.Digest != "" {
		return i.Digest
	}
	return i.Tag
}

// suffix is ":tag" or "@digest".
func (i Image) suffix() string {
	if i.Digest != "" {
		return "@" + i.Digest
	}
	return ":" + i.Tag
}

// Canonical is the full name: docker.io/library/busybox:latest,
// quay.io/org/img@sha256:...
func (i Image) Canonical() string {
	return i.Registry + "/" + i.Repository + i.suffix()
}

// Familiar is the name docker gives the image locally: Docker Hub's host
// and its library/ namespace left out (busybox:latest,
// example/base:latest), other registries' images in full
// (quay.io/org/img:tag).
func (i Image) Familiar() string {
	if i.Registry != DockerHub {
		return i.Canonical()
	}
	repo := i.Repository
	if rest, ok := strings.CutPrefix(repo, "library/"); ok && !strings.Contains(rest, "/") {
		repo = rest
	}
	return repo + i.suffix()
}

// Location is the repository's path in the buildset registry, by
// mirror.Location's rule taken from the registry's root: Docker Hub images
// un-namespaced (library/busybox, example/base), any other registry's
// under its host (quay.io/org/img).
func (i Image) Location() string {
	return strings.TrimPrefix(mirror.Location("", i.Registry)+"/"+i.Repository, "/")
}
