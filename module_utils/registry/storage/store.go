package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/gating/containers/module_utils/atomicfile"
	"github.com/gating/containers/module_utils/registry/reference"
)

// Store is a registry's content on the filesystem. It is safe for
// concurrent use by one process; two processes must not share a root.
type Store struct {
	root string

	mu        sync.Mutex
	uploads   map[string]*Upload     // sessions touched since Open
	repoLocks map[string]*sync.Mutex // serialises metadata changes per repository
	repos     map[string]struct{}    // repositories holding a link, for the catalog
}

// Open prepares root (created if missing) and returns its Store. It lists
// the repositories once; after that no request scans a directory except the
// tag listing and the deletion of a manifest (which finds its tags).
func Open(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("opening storage %s: %w", root, err)
	}
	s := &Store{
		root:      abs,
		uploads:   map[string]*Upload{},
		repoLocks: map[string]*sync.Mutex{},
		repos:     map[string]struct{}{},
	}
	for _, d := range []string{blobsDir, uploadsDir, repositoriesDir} {
		if err := mkdirAll(filepath.Join(abs, d)); err != nil {
			return nil, fmt.Errorf("opening storage %s: %w", root, err)
		}
	}
	if err := s.loadRepositories(); err != nil {
		return nil, fmt.Errorf("opening storage %s: %w", root, err)
	}
	return s, nil
}

// Root returns the directory the store lives in.
func (s *Store) Root() string { return s.root }

// lockRepo serialises changes to one repository's links and metadata.
func (s *Store) lockRepo(repo string) func() {
	s.mu.Lock()
	l, ok := s.repoLocks[repo]
	if !ok {
		l = &sync.Mutex{}
		s.repoLocks[repo] = l
	}
	s.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// addRepository records repo for the catalog once it holds a link.
func (s *Store) addRepository(repo string) {
	s.mu.Lock()
	s.repos[repo] = struct{}{}
	s.mu.Unlock()
}

// Repositories returns the names of all repositories, sorted.
func (s *Store) Repositories() []string {
	s.mu.Lock()
	out := make([]string, 0, len(s.repos))
	for r := range s.repos {
		out = append(out, r)
	}
	s.mu.Unlock()
	sort.Strings(out)
	return out
}

// HasRepository reports whether repo holds, or held, any content.
func (s *Store) HasRepository(repo string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.repos[repo]
	return ok
}

// loadRepositories finds every directory under repositories/ that has a
// _layers or _manifests directory.
func (s *Store) loadRepositories() error {
	base := filepath.Join(s.root, repositoriesDir)
	return filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if strings.HasPrefix(name, "_") {
			if name == layersDir || name == manifestsDir {
				rel, err := filepath.Rel(base, filepath.Dir(path))
				if err == nil && reference.ValidateName(filepath.ToSlash(rel)) == nil {
					s.repos[filepath.ToSlash(rel)] = struct{}{}
				}
			}
			return filepath.SkipDir
		}
		return nil
	})
}

// checkRepo rejects names that did not pass validation upstream, so that
// storage never builds a path from an unchecked string.
func checkRepo(repo string) error {
	if err := reference.ValidateName(repo); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return nil
}

// checkDigest requires a digest of an algorithm the store keeps content by.
func checkDigest(d reference.Digest) error {
	if _, err := reference.ParseDigest(string(d)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return nil
}

// mkdirAll creates dir and its missing parents, syncing each parent after
// creating a child so that the new directories survive a crash.
func mkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s: not a directory", dir)
		}
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return err
	}
	return atomicfile.SyncDir(parent)
}

// writeFile replaces path atomically and durably with data, unless it
// already holds exactly data.
func writeFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}

// writeJSON replaces path with v encoded as JSON.
func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFile(path, data)
}

// readJSON decodes path into v and reports whether it existed.
func readJSON(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("decoding %s: %w", path, err)
	}
	return true, nil
}

// removeFile removes path and syncs its directory; a missing file is fine.
func removeFile(path string) error {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(path))
}

// exists reports whether path exists.
func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return false, nil
	}
	return false, err
}
