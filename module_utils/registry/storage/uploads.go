package storage

import (
	"crypto/rand"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gating/containers/module_utils/atomicfile"
	"github.com/gating/containers/module_utils/registry/reference"
)

// copyBufferSize is the unit in which request bodies reach the disk.
const copyBufferSize = 1 << 20

// writebackUnit is how much received data may wait in the page cache before
// its writeback is started.
const writebackUnit = 8 << 20

var bufferPool = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// Upload is a blob upload session: bytes appended in order, then committed
// under a digest that they must match. Its data lives in uploads/<id>/, so
// a session survives a restart; the running sha256 lives in memory only,
// and a session resumed after a restart is hashed again when committed.
type Upload struct {
	s       *Store
	id      string
	repo    string
	started time.Time

	mu   sync.Mutex
	size int64
	sum  hash.Hash // sha256 of the data so far; nil after a restart
	done bool      // committed, cancelled or swept
}

type uploadInfo struct {
	Repository string    `json:"repository"`
	Started    time.Time `json:"started"`
}

// NewUpload starts an upload session into repo.
func (s *Store) NewUpload(repo string) (*Upload, error) {
	if err := checkRepo(repo); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, fmt.Errorf("starting upload into %s: %w", repo, err)
	}
	dir := s.uploadPath(id)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("starting upload into %s: %w", repo, err)
	}
	u := &Upload{s: s, id: id, repo: repo, started: time.Now().UTC(), sum: reference.SHA256.Hash()}
	err = func() error {
		f, err := os.OpenFile(filepath.Join(dir, uploadDataFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		// the info file is written (and dir synced) after the data file
		// exists, so a session with an info file always has data
		if err := writeJSON(filepath.Join(dir, uploadInfoFile), uploadInfo{Repository: repo, Started: u.started}); err != nil {
			return err
		}
		return atomicfile.SyncDir(filepath.Dir(dir))
	}()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting upload into %s: %w", repo, err)
	}
	s.mu.Lock()
	s.uploads[id] = u
	s.mu.Unlock()
	return u, nil
}

// Upload returns the session id of repo, also one started before a restart.
// It fails with ErrUploadUnknown for an unknown, finished or foreign session.
func (s *Store) Upload(repo, id string) (*Upload, error) {
	u, err := s.lookupUpload(id)
	if err != nil {
		return nil, err
	}
	if u.repo != repo {
		return nil, fmt.Errorf("upload %s of %s: %w", id, repo, ErrUploadUnknown)
	}
	return u, nil
}

// lookupUpload finds session id in memory or on disk.
func (s *Store) lookupUpload(id string) (*Upload, error) {
	if !validID(id) {
		return nil, fmt.Errorf("upload %q: %w", id, ErrUploadUnknown)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.uploads[id]; ok {
		return u, nil
	}
	dir := s.uploadPath(id)
	var info uploadInfo
	found, err := readJSON(filepath.Join(dir, uploadInfoFile), &info)
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", id, err)
	}
	if !found || reference.ValidateName(info.Repository) != nil {
		return nil, fmt.Errorf("upload %s: %w", id, ErrUploadUnknown)
	}
	fi, err := os.Stat(filepath.Join(dir, uploadDataFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("upload %s: %w", id, ErrUploadUnknown)
	}
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", id, err)
	}
	u := &Upload{s: s, id: id, repo: info.Repository, started: info.Started, size: fi.Size()}
	s.uploads[id] = u
	return u, nil
}

// ID returns the session's identifier, a random UUID.
func (u *Upload) ID() string { return u.id }

// Repository returns the repository the upload goes to.
func (u *Upload) Repository() string { return u.repo }

// Started returns when the session began.
func (u *Upload) Started() time.Time { return u.started }

// Size returns the number of bytes received.
func (u *Upload) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.size
}

// Append adds everything r yields to the upload and returns the number of
// bytes written. With offset >= 0 the data must start exactly where the
// upload ends, else nothing is read and an *OffsetError is returned. The
// data is on disk (synced) when Append returns without error. After a read
// error the bytes received so far stay in the session.
func (u *Upload) Append(r io.Reader, offset int64) (int64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return 0, fmt.Errorf("upload %s: %w", u.id, ErrUploadUnknown)
	}
	if offset >= 0 && offset != u.size {
		return 0, fmt.Errorf("upload %s: %w", u.id, &OffsetError{Size: u.size, Offset: offset})
	}
	f, err := os.OpenFile(u.dataPath(), os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("upload %s: %w", u.id, ErrUploadUnknown)
	}
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", u.id, err)
	}
	written, err := u.copyAt(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return written, fmt.Errorf("upload %s: appending at %d: %w", u.id, u.size-written, err)
	}
	return written, nil
}

// copyAt writes r to f from u.size on, in large blocks, hashing what was
// written; u.size always equals the bytes on disk.
func (u *Upload) copyAt(f *os.File, r io.Reader) (int64, error) {
	if _, err := f.Seek(u.size, io.SeekStart); err != nil {
		return 0, err
	}
	bp := bufferPool.Get().(*[]byte)
	defer bufferPool.Put(bp)
	buf := *bp
	var written int64
	flushed := u.size // start of the bytes not yet handed to writeback
	for {
		n, rerr := fill(r, buf)
		if n > 0 {
			w, werr := f.Write(buf[:n])
			if u.sum != nil {
				_, _ = u.sum.Write(buf[:w])
			}
			u.size += int64(w)
			written += int64(w)
			if werr != nil {
				return written, werr
			}
			if u.size-flushed >= writebackUnit {
				startWriteback(f, flushed, u.size-flushed)
				flushed = u.size
			}
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
	}
}

// fill reads from r until buf is full, r ends (io.EOF) or fails.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Commit verifies the upload against every digest given and moves it into
// place as blob digests[0], linked into the repository. On a mismatch the
// session is discarded and nothing is kept (ErrDigestMismatch).
func (u *Upload) Commit(digests ...reference.Digest) error {
	if len(digests) == 0 {
		return fmt.Errorf("upload %s: committing without a digest: %w", u.id, ErrInvalidInput)
	}
	for _, d := range digests {
		if err := checkDigest(d); err != nil {
			return fmt.Errorf("upload %s: %w", u.id, err)
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return fmt.Errorf("upload %s: %w", u.id, ErrUploadUnknown)
	}
	for _, want := range digests {
		got, err := u.digest(want.Algorithm())
		if err != nil {
			return fmt.Errorf("upload %s: %w", u.id, err)
		}
		if got != want {
			u.discardLocked()
			return fmt.Errorf("upload %s: content is %s, not %s: %w", u.id, got, want, ErrDigestMismatch)
		}
	}
	d := digests[0]
	if err := syncFile(u.dataPath()); err != nil {
		return fmt.Errorf("upload %s: %w", u.id, err)
	}
	if err := u.s.commitBlob(u.dataPath(), d); err != nil {
		return fmt.Errorf("upload %s: committing %s: %w", u.id, d, err)
	}
	if err := u.s.link(u.repo, d); err != nil {
		return fmt.Errorf("upload %s: linking %s into %s: %w", u.id, d, u.repo, err)
	}
	u.discardLocked()
	return nil
}

// digest returns the digest of the data by alg: from the running hash when
// there is one, else by reading the data again.
func (u *Upload) digest(alg reference.Algorithm) (reference.Digest, error) {
	if alg == reference.SHA256 && u.sum != nil {
		return alg.FromHash(u.sum), nil
	}
	f, err := os.Open(u.dataPath())
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := alg.Hash()
	bp := bufferPool.Get().(*[]byte)
	defer bufferPool.Put(bp)
	n, err := io.CopyBuffer(h, io.LimitReader(f, u.size), *bp)
	if err != nil {
		return "", err
	}
	if n != u.size {
		return "", fmt.Errorf("data holds %d bytes, expected %d", n, u.size)
	}
	return alg.FromHash(h), nil
}

// Cancel ends the session and removes its data.
func (u *Upload) Cancel() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return fmt.Errorf("upload %s: %w", u.id, ErrUploadUnknown)
	}
	return u.discardLocked()
}

// discardLocked removes the session's directory and forgets it.
func (u *Upload) discardLocked() error {
	u.done = true
	u.s.mu.Lock()
	if u.s.uploads[u.id] == u {
		delete(u.s.uploads, u.id)
	}
	u.s.mu.Unlock()
	dir := u.s.uploadPath(u.id)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing upload %s: %w", u.id, err)
	}
	return atomicfile.SyncDir(filepath.Dir(dir))
}

func (u *Upload) dataPath() string { return filepath.Join(u.s.uploadPath(u.id), uploadDataFile) }

// SweepUploads removes the sessions idle for longer than maxIdle (by the
// modification time of their files) and returns how many it removed.
// Sessions busy with a request are left alone.
func (s *Store) SweepUploads(maxIdle time.Duration) (int, error) {
	base := filepath.Join(s.root, uploadsDir)
	entries, err := os.ReadDir(base)
	if err != nil {
		return 0, fmt.Errorf("sweeping uploads: %w", err)
	}
	cutoff := time.Now().Add(-maxIdle)
	removed := 0
	var errs []error
	for _, e := range entries {
		id := e.Name()
		if !validID(id) || !e.IsDir() {
			continue
		}
		dir := s.uploadPath(id)
		if lastActivity(dir).After(cutoff) {
			continue
		}
		u, err := s.lookupUpload(id)
		if err != nil {
			// a session that never got its info file: remove it directly
			if errors.Is(err, ErrUploadUnknown) {
				if err := os.RemoveAll(dir); err != nil {
					errs = append(errs, err)
				} else {
					removed++
				}
				continue
			}
			errs = append(errs, err)
			continue
		}
		if !u.mu.TryLock() {
			continue
		}
		if !u.done && !lastActivity(dir).After(cutoff) {
			if err := u.discardLocked(); err != nil {
				errs = append(errs, err)
			} else {
				removed++
			}
		}
		u.mu.Unlock()
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("sweeping uploads: %w", errors.Join(errs...))
	}
	return removed, nil
}

// lastActivity is the latest modification time of dir and its files.
func lastActivity(dir string) time.Time {
	var latest time.Time
	for _, p := range []string{dir, filepath.Join(dir, uploadInfoFile), filepath.Join(dir, uploadDataFile)} {
		if fi, err := os.Stat(p); err == nil && fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
	}
	return latest
}

// syncFile flushes path's data to disk.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// newID returns a random (version 4) UUID.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// validID accepts the lower-case UUIDs newID makes.
func validID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
