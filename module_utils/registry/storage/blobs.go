package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gating/containers/module_utils/atomicfile"
	"github.com/gating/containers/module_utils/registry/reference"
)

// StatBlob returns the size of blob d of repo.
func (s *Store) StatBlob(repo string, d reference.Digest) (int64, error) {
	f, fi, err := s.OpenBlob(repo, d)
	if err != nil {
		return 0, err
	}
	_ = f.Close()
	return fi.Size(), nil
}

// OpenBlob opens blob d of repo for reading. It fails with ErrBlobUnknown
// unless the blob is linked into repo.
func (s *Store) OpenBlob(repo string, d reference.Digest) (*os.File, fs.FileInfo, error) {
	if err := checkRepo(repo); err != nil {
		return nil, nil, err
	}
	if err := checkDigest(d); err != nil {
		return nil, nil, err
	}
	linked, err := exists(s.layerLinkPath(repo, d))
	if err != nil {
		return nil, nil, fmt.Errorf("blob %s in %s: %w", d, repo, err)
	}
	if !linked {
		return nil, nil, fmt.Errorf("blob %s in %s: %w", d, repo, ErrBlobUnknown)
	}
	f, err := os.Open(s.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("blob %s in %s: %w", d, repo, ErrBlobUnknown)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("blob %s in %s: %w", d, repo, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("blob %s in %s: %w", d, repo, err)
	}
	return f, fi, nil
}

// DeleteBlob unlinks blob d from repo; the content stays for other
// repositories. It fails with ErrBlobUnknown if d was not linked.
func (s *Store) DeleteBlob(repo string, d reference.Digest) error {
	if err := checkRepo(repo); err != nil {
		return err
	}
	if err := checkDigest(d); err != nil {
		return err
	}
	unlock := s.lockRepo(repo)
	defer unlock()
	link := s.layerLinkPath(repo, d)
	linked, err := exists(link)
	if err != nil {
		return fmt.Errorf("deleting blob %s from %s: %w", d, repo, err)
	}
	if !linked {
		return fmt.Errorf("deleting blob %s from %s: %w", d, repo, ErrBlobUnknown)
	}
	if err := removeFile(link); err != nil {
		return fmt.Errorf("deleting blob %s from %s: %w", d, repo, err)
	}
	return nil
}

// MountBlob links blob d into repo from repository from, or, with from
// empty, from anywhere in the store. It fails with ErrBlobUnknown when the
// source does not hold d.
func (s *Store) MountBlob(repo, from string, d reference.Digest) error {
	if err := checkRepo(repo); err != nil {
		return err
	}
	if err := checkDigest(d); err != nil {
		return err
	}
	var have bool
	var err error
	if from == "" {
		have, err = exists(s.blobPath(d))
	} else {
		if err := checkRepo(from); err != nil {
			return err
		}
		have, err = exists(s.layerLinkPath(from, d))
	}
	if err != nil {
		return fmt.Errorf("mounting blob %s from %q into %s: %w", d, from, repo, err)
	}
	if !have {
		return fmt.Errorf("mounting blob %s from %q into %s: %w", d, from, repo, ErrBlobUnknown)
	}
	if err := s.link(repo, d); err != nil {
		return fmt.Errorf("mounting blob %s from %q into %s: %w", d, from, repo, err)
	}
	return nil
}

// link records that repo holds blob d, whose content must be in place.
func (s *Store) link(repo string, d reference.Digest) error {
	path := s.layerLinkPath(repo, d)
	if ok, err := exists(path); err != nil || ok {
		return err
	}
	if err := writeFile(path, []byte(d)); err != nil {
		return err
	}
	s.addRepository(repo)
	return nil
}

// hasBlob reports whether repo links blob d.
func (s *Store) hasBlob(repo string, d reference.Digest) (bool, error) {
	if checkDigest(d) != nil {
		return false, nil
	}
	return exists(s.layerLinkPath(repo, d))
}

// commitBlob moves the verified, synced file src into place as blob d. If
// the blob is already there (a concurrent upload of the same content won)
// src is dropped: content-addressed files with the same name are identical.
func (s *Store) commitBlob(src string, d reference.Digest) error {
	dst := s.blobPath(d)
	if ok, err := exists(dst); err != nil {
		return err
	} else if ok {
		return os.Remove(src)
	}
	if err := mkdirAll(filepath.Dir(dst)); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(dst))
}

// putContent stores data, whose digest is d, as a blob if it is not one yet.
func (s *Store) putContent(d reference.Digest, data []byte) error {
	path := s.blobPath(d)
	if ok, err := exists(path); err != nil || ok {
		return err
	}
	return writeFile(path, data)
}
