package storage

import (
	"fmt"

	"github.com/gating/containers/module_utils/registry/manifest"
	"github.com/gating/containers/module_utils/registry/reference"
)

// referrersFile is the content of _referrers/<alg>/<hex>.
type referrersFile struct {
	Manifests []manifest.Descriptor `json:"manifests"`
}

// Referrers returns the descriptors of the manifests of repo whose subject
// is subject, in the order they were pushed; none is not an error.
func (s *Store) Referrers(repo string, subject reference.Digest) ([]manifest.Descriptor, error) {
	if err := checkRepo(repo); err != nil {
		return nil, err
	}
	if err := checkDigest(subject); err != nil {
		return nil, err
	}
	var rf referrersFile
	if _, err := readJSON(s.referrersPath(repo, subject), &rf); err != nil {
		return nil, fmt.Errorf("referrers of %s in %s: %w", subject, repo, err)
	}
	if rf.Manifests == nil {
		rf.Manifests = []manifest.Descriptor{}
	}
	return rf.Manifests, nil
}

// addReferrer records desc among subject's referrers, once. The caller
// holds the repository lock.
func (s *Store) addReferrer(repo string, subject reference.Digest, desc manifest.Descriptor) error {
	path := s.referrersPath(repo, subject)
	var rf referrersFile
	if _, err := readJSON(path, &rf); err != nil {
		return err
	}
	for _, m := range rf.Manifests {
		if m.Digest == desc.Digest {
			return nil
		}
	}
	rf.Manifests = append(rf.Manifests, desc)
	return writeJSON(path, rf)
}

// removeReferrer drops d from subject's referrers. The caller holds the
// repository lock.
func (s *Store) removeReferrer(repo string, subject, d reference.Digest) error {
	path := s.referrersPath(repo, subject)
	var rf referrersFile
	found, err := readJSON(path, &rf)
	if err != nil || !found {
		return err
	}
	kept := rf.Manifests[:0]
	for _, m := range rf.Manifests {
		if m.Digest != d {
			kept = append(kept, m)
		}
	}
	if len(kept) == 0 {
		return removeFile(path)
	}
	rf.Manifests = kept
	return writeJSON(path, rf)
}
