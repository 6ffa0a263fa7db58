package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gating/containers/module_utils/registry/manifest"
	"github.com/gating/containers/module_utils/registry/reference"
)

// Revision is what a repository records about a manifest it holds.
type Revision struct {
	Digest    reference.Digest `json:"-"`
	MediaType string           `json:"mediaType"`
	Size      int64            `json:"size"`
	// Identity names the image the manifest holds, whatever its format:
	// two revisions with the same identity are the same image (see
	// manifest.ImageIdentity and IndexIdentity).
	Identity string           `json:"identity"`
	Subject  reference.Digest `json:"subject,omitempty"`
}

// PutManifest stores content, the manifest m whose digest is d, in repo and
// points tags at it. The content must match d. Every blob of an image
// manifest (except foreign layers) and every child of an index must already
// be in repo, else a *MissingError lists what is not. A subject need not
// exist: the manifest is recorded as one of its referrers.
func (s *Store) PutManifest(repo string, d reference.Digest, content []byte, m *manifest.Manifest, tags ...string) error {
	if err := checkRepo(repo); err != nil {
		return err
	}
	if err := checkDigest(d); err != nil {
		return err
	}
	for _, t := range tags {
		if err := reference.ValidateTag(t); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidInput, err)
		}
	}
	if got := d.Algorithm().FromBytes(content); got != d {
		return fmt.Errorf("manifest %s: content is %s: %w", d, got, ErrDigestMismatch)
	}
	unlock := s.lockRepo(repo)
	defer unlock()

	missing := &MissingError{}
	for _, b := range m.Blobs() {
		ok, err := s.hasBlob(repo, b)
		if err != nil {
			return fmt.Errorf("manifest %s in %s: %w", d, repo, err)
		}
		if !ok {
			missing.Blobs = append(missing.Blobs, b)
		}
	}
	children := map[reference.Digest]Revision{}
	for _, c := range m.Children() {
		rev, err := s.revision(repo, c)
		if errors.Is(err, ErrManifestUnknown) || errors.Is(err, ErrInvalidInput) {
			missing.Manifests = append(missing.Manifests, c)
			continue
		}
		if err != nil {
			return fmt.Errorf("manifest %s in %s: %w", d, repo, err)
		}
		children[c] = rev
	}
	if len(missing.Blobs)+len(missing.Manifests) > 0 {
		return fmt.Errorf("manifest %s in %s: %w", d, repo, missing)
	}

	var identity string
	var err error
	if m.Kind == manifest.KindIndex {
		identity = m.IndexIdentity(func(c reference.Digest) string { return children[c].Identity })
	} else {
		// the configuration counts by content, so that a Docker image and
		// its OCI conversion (a rewritten config blob) are one image
		var config []byte
		if (m.Config.MediaType == manifest.MediaTypeDockerConfig || m.Config.MediaType == manifest.MediaTypeOCIConfig) &&
			m.Config.Size <= manifest.MaxConfigSize {
			if config, err = os.ReadFile(s.blobPath(m.Config.Digest)); err != nil {
				return fmt.Errorf("manifest %s in %s: reading its config: %w", d, repo, err)
			}
		}
		identity = m.ImageIdentity(config)
	}
	rev := Revision{
		Digest:    d,
		MediaType: m.MediaType,
		Size:      int64(len(content)),
		Identity:  string(reference.SHA256.FromBytes([]byte(identity))),
	}
	var subject reference.Digest
	if m.Subject != nil && checkDigest(m.Subject.Digest) == nil {
		subject = m.Subject.Digest
		rev.Subject = subject
	}

	if err := s.putContent(d, content); err != nil {
		return fmt.Errorf("manifest %s in %s: %w", d, repo, err)
	}
	if err := writeJSON(s.revisionPath(repo, d), rev); err != nil {
		return fmt.Errorf("manifest %s in %s: %w", d, repo, err)
	}
	s.addRepository(repo)
	if subject != "" {
		desc := manifest.Descriptor{
			MediaType:    m.MediaType,
			Digest:       d,
			Size:         int64(len(content)),
			ArtifactType: m.ReferrerArtifactType(),
			Annotations:  m.Annotations,
		}
		if err := s.addReferrer(repo, subject, desc); err != nil {
			return fmt.Errorf("manifest %s in %s: %w", d, repo, err)
		}
	}
	for _, t := range tags {
		if err := s.setTag(repo, t, rev); err != nil {
			return fmt.Errorf("manifest %s in %s: %w", d, repo, err)
		}
	}
	return nil
}

// Revision returns what repo records about manifest d, or
// ErrManifestUnknown.
func (s *Store) Revision(repo string, d reference.Digest) (Revision, error) {
	if err := checkRepo(repo); err != nil {
		return Revision{}, err
	}
	if err := checkDigest(d); err != nil {
		return Revision{}, err
	}
	return s.revision(repo, d)
}

func (s *Store) revision(repo string, d reference.Digest) (Revision, error) {
	if err := checkDigest(d); err != nil {
		return Revision{}, err
	}
	var rev Revision
	found, err := readJSON(s.revisionPath(repo, d), &rev)
	if err != nil {
		return Revision{}, fmt.Errorf("manifest %s in %s: %w", d, repo, err)
	}
	if !found {
		return Revision{}, fmt.Errorf("manifest %s in %s: %w", d, repo, ErrManifestUnknown)
	}
	rev.Digest = d
	return rev, nil
}

// Manifest returns the record and the exact bytes of manifest d of repo.
func (s *Store) Manifest(repo string, d reference.Digest) (Revision, []byte, error) {
	rev, err := s.Revision(repo, d)
	if err != nil {
		return Revision{}, nil, err
	}
	content, err := os.ReadFile(s.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return Revision{}, nil, fmt.Errorf("manifest %s in %s: %w", d, repo, ErrManifestUnknown)
	}
	if err != nil {
		return Revision{}, nil, fmt.Errorf("manifest %s in %s: %w", d, repo, err)
	}
	return rev, content, nil
}

// DeleteManifest removes manifest d from repo, with every tag entry that
// points at it (a tag left without entries is removed) and its entry among
// its subject's referrers. The content stays for other repositories.
func (s *Store) DeleteManifest(repo string, d reference.Digest) error {
	if err := checkRepo(repo); err != nil {
		return err
	}
	if err := checkDigest(d); err != nil {
		return err
	}
	unlock := s.lockRepo(repo)
	defer unlock()
	rev, err := s.revision(repo, d)
	if err != nil {
		return err
	}
	if err := s.untagDigest(repo, d); err != nil {
		return fmt.Errorf("deleting manifest %s from %s: %w", d, repo, err)
	}
	if rev.Subject != "" {
		if err := s.removeReferrer(repo, rev.Subject, d); err != nil {
			return fmt.Errorf("deleting manifest %s from %s: %w", d, repo, err)
		}
	}
	if err := removeFile(s.revisionPath(repo, d)); err != nil {
		return fmt.Errorf("deleting manifest %s from %s: %w", d, repo, err)
	}
	return nil
}
