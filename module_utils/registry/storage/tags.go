package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"

	"github.com/gating/containers/module_utils/registry/reference"
)

// TagEntry is one format of the image a tag names.
type TagEntry struct {
	Digest    reference.Digest `json:"digest"`
	MediaType string           `json:"mediaType"`
}

// tagFile is the content of _manifests/tags/<tag>.
type tagFile struct {
	Manifests []TagEntry `json:"manifests"`
}

// Tag returns the formats tag holds in repo, the most recently pushed last,
// or ErrTagUnknown.
func (s *Store) Tag(repo, tag string) ([]TagEntry, error) {
	if err := checkRepo(repo); err != nil {
		return nil, err
	}
	if err := reference.ValidateTag(tag); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	var tf tagFile
	found, err := readJSON(s.tagPath(repo, tag), &tf)
	if err != nil {
		return nil, fmt.Errorf("tag %s of %s: %w", tag, repo, err)
	}
	if !found || len(tf.Manifests) == 0 {
		return nil, fmt.Errorf("tag %s of %s: %w", tag, repo, ErrTagUnknown)
	}
	return tf.Manifests, nil
}

// Tags returns the tags of repo, sorted, or ErrRepositoryUnknown.
func (s *Store) Tags(repo string) ([]string, error) {
	if err := checkRepo(repo); err != nil {
		return nil, err
	}
	if !s.HasRepository(repo) {
		return nil, fmt.Errorf("tags of %s: %w", repo, ErrRepositoryUnknown)
	}
	entries, err := os.ReadDir(s.tagsPath(repo))
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tags of %s: %w", repo, err)
	}
	tags := make([]string, 0, len(entries))
	for _, e := range entries {
		// temporary files start with a dot, which no tag can
		if e.Type().IsRegular() && reference.ValidateTag(e.Name()) == nil {
			tags = append(tags, e.Name())
		}
	}
	sort.Strings(tags)
	return tags, nil
}

// DeleteTag removes tag from repo (the manifests stay), or fails with
// ErrTagUnknown.
func (s *Store) DeleteTag(repo, tag string) error {
	if err := checkRepo(repo); err != nil {
		return err
	}
	if err := reference.ValidateTag(tag); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	unlock := s.lockRepo(repo)
	defer unlock()
	path := s.tagPath(repo, tag)
	ok, err := exists(path)
	if err != nil {
		return fmt.Errorf("deleting tag %s of %s: %w", tag, repo, err)
	}
	if !ok {
		return fmt.Errorf("deleting tag %s of %s: %w", tag, repo, ErrTagUnknown)
	}
	if err := removeFile(path); err != nil {
		return fmt.Errorf("deleting tag %s of %s: %w", tag, repo, err)
	}
	return nil
}

// setTag points tag at rev. The tag keeps its entries of other media types
// only if they hold the same image (the same identity); an entry of rev's
// media type is replaced. So a tag never serves a stale image to a client
// asking for a format that was not pushed this time. The caller holds the
// repository lock.
func (s *Store) setTag(repo, tag string, rev Revision) error {
	var tf tagFile
	if _, err := readJSON(s.tagPath(repo, tag), &tf); err != nil {
		// an unreadable tag file is replaced, not trusted
		tf = tagFile{}
	}
	kept := make([]TagEntry, 0, len(tf.Manifests)+1)
	for _, e := range tf.Manifests {
		if e.MediaType == rev.MediaType || e.Digest == rev.Digest {
			continue
		}
		other, err := s.revision(repo, e.Digest)
		if err != nil || other.Identity != rev.Identity {
			continue
		}
		kept = append(kept, e)
	}
	kept = append(kept, TagEntry{Digest: rev.Digest, MediaType: rev.MediaType})
	return writeJSON(s.tagPath(repo, tag), tagFile{Manifests: kept})
}

// untagDigest removes d from every tag of repo; tags left empty are
// removed. The caller holds the repository lock.
func (s *Store) untagDigest(repo string, d reference.Digest) error {
	entries, err := os.ReadDir(s.tagsPath(repo))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if reference.ValidateTag(e.Name()) != nil {
			continue
		}
		path := s.tagPath(repo, e.Name())
		var tf tagFile
		if _, err := readJSON(path, &tf); err != nil {
			return err
		}
		kept := tf.Manifests[:0]
		for _, m := range tf.Manifests {
			if m.Digest != d {
				kept = append(kept, m)
			}
		}
		switch {
		case len(kept) == len(tf.Manifests):
		case len(kept) == 0:
			if err := removeFile(path); err != nil {
				return err
			}
		default:
			if err := writeJSON(path, tagFile{Manifests: kept}); err != nil {
				return err
			}
		}
	}
	return nil
}
