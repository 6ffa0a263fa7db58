package storage

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gating/containers/module_utils/registry/reference"
)

func TestUploadCommitInChunks(t *testing.T) {
	s := openStore(t)
	data := randomBytes(t, 3*copyBufferSize+17)
	u, err := s.NewUpload("a/b")
	require.NoError(t, err)
	for off := 0; off < len(data); off += 1000_003 {
		end := min(off+1000_003, len(data))
		n, err := u.Append(bytes.NewReader(data[off:end]), int64(off))
		require.NoError(t, err)
		require.Equal(t, int64(end-off), n)
	}
	require.Equal(t, int64(len(data)), u.Size())
	d := reference.SHA256.FromBytes(data)
	require.NoError(t, u.Commit(d))

	require.Equal(t, data, readBlob(t, s, "a/b", d))
	size, err := s.StatBlob("a/b", d)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), size)
	require.Empty(t, dirEntries(t, filepath.Join(s.Root(), uploadsDir)), "the session is gone")
	_, err = s.Upload("a/b", u.ID())
	require.ErrorIs(t, err, ErrUploadUnknown)
	require.Equal(t, []string{"a/b"}, s.Repositories())
	// the blob is linked into a/b only
	_, err = s.StatBlob("a/c", d)
	require.ErrorIs(t, err, ErrBlobUnknown)
}

func TestUploadCommitSHA512(t *testing.T) {
	s := openStore(t)
	data := randomBytes(t, 5000)
	u, err := s.NewUpload("r")
	require.NoError(t, err)
	_, err = u.Append(bytes.NewReader(data), -1)
	require.NoError(t, err)
	d := reference.SHA512.FromBytes(data)
	require.NoError(t, u.Commit(d))
	require.Equal(t, data, readBlob(t, s, "r", d))
}

func TestUploadDigestMismatchKeepsNothing(t *testing.T) {
	s := openStore(t)
	data := randomBytes(t, 1000)
	u, err := s.NewUpload("r")
	require.NoError(t, err)
	_, err = u.Append(bytes.NewReader(data), 0)
	require.NoError(t, err)
	wrong := reference.SHA256.FromBytes(append(data, 'x'))
	err = u.Commit(wrong)
	require.ErrorIs(t, err, ErrDigestMismatch)
	require.Contains(t, err.Error(), string(wrong))

	_, err = s.StatBlob("r", wrong)
	require.ErrorIs(t, err, ErrBlobUnknown)
	_, err = os.Stat(s.blobPath(wrong))
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(s.blobPath(reference.SHA256.FromBytes(data)))
	require.ErrorIs(t, err, os.ErrNotExist, "not even under its true digest")
	require.Empty(t, dirEntries(t, filepath.Join(s.Root(), uploadsDir)))
	_, err = u.Append(bytes.NewReader(data), -1)
	require.ErrorIs(t, err, ErrUploadUnknown, "a failed session cannot be reused")
}

func TestUploadOffsetMismatch(t *testing.T) {
	s := openStore(t)
	u, err := s.NewUpload("r")
	require.NoError(t, err)
	_, err = u.Append(bytes.NewReader([]byte("abc")), 0)
	require.NoError(t, err)
	for _, off := range []int64{0, 2, 4} {
		_, err = u.Append(bytes.NewReader([]byte("zzz")), off)
		var oe *OffsetError
		require.ErrorAs(t, err, &oe)
		require.ErrorIs(t, err, ErrUploadOffset)
		require.Equal(t, int64(3), oe.Size)
		require.Equal(t, off, oe.Offset)
	}
	_, err = u.Append(bytes.NewReader([]byte("def")), 3)
	require.NoError(t, err)
	require.NoError(t, u.Commit(reference.SHA256.FromBytes([]byte("abcdef"))))
}

func TestUploadOfAnotherRepositoryIsUnknown(t *testing.T) {
	s := openStore(t)
	u, err := s.NewUpload("r1")
	require.NoError(t, err)
	_, err = s.Upload("r2", u.ID())
	require.ErrorIs(t, err, ErrUploadUnknown)
	for _, id := range []string{"", "../../etc", "x", u.ID() + "0", "ABCDEF00-0000-4000-8000-000000000000"} {
		_, err = s.Upload("r1", id)
		require.ErrorIs(t, err, ErrUploadUnknown, id)
	}
}

func TestUploadCancel(t *testing.T) {
	s := openStore(t)
	u, err := s.NewUpload("r")
	require.NoError(t, err)
	_, err = u.Append(bytes.NewReader([]byte("abc")), 0)
	require.NoError(t, err)
	require.NoError(t, u.Cancel())
	require.ErrorIs(t, u.Cancel(), ErrUploadUnknown)
	_, err = s.Upload("r", u.ID())
	require.ErrorIs(t, err, ErrUploadUnknown)
	require.Empty(t, dirEntries(t, filepath.Join(s.Root(), uploadsDir)))
}

// Concurrent uploads of the same blob (multi-arch builds pushing a shared
// layer) all succeed, and the content is whole.
func TestConcurrentUploadsOfTheSameBlob(t *testing.T) {
	s := openStore(t)
	data := randomBytes(t, 2*copyBufferSize+5)
	d := reference.SHA256.FromBytes(data)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			repo := []string{"a", "b"}[i%2]
			u, err := s.NewUpload(repo)
			if err != nil {
				errs <- err
				return
			}
			// write in two chunks to interleave with the others
			half := len(data) / 2
			if _, err := u.Append(bytes.NewReader(data[:half]), 0); err != nil {
				errs <- err
				return
			}
			if _, err := u.Append(bytes.NewReader(data[half:]), int64(half)); err != nil {
				errs <- err
				return
			}
			errs <- u.Commit(d)
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, data, readBlob(t, s, "a", d))
	require.Equal(t, data, readBlob(t, s, "b", d))
	require.Empty(t, dirEntries(t, filepath.Join(s.Root(), uploadsDir)))
	require.Equal(t, []string{d.Encoded()}, dirEntries(t, filepath.Dir(s.blobPath(d))), "one file, no temporary left")
}

// A session outlives the process: after a restart its bytes are still
// there, appending resumes where it stopped, and the commit hashes the file
// again (the running hash was lost).
func TestUploadResumesAfterRestart(t *testing.T) {
	root := t.TempDir()
	s1, err := Open(root)
	require.NoError(t, err)
	data := randomBytes(t, 10000)
	u, err := s1.NewUpload("r")
	require.NoError(t, err)
	_, err = u.Append(bytes.NewReader(data[:4000]), 0)
	require.NoError(t, err)

	s2, err := Open(root)
	require.NoError(t, err)
	u2, err := s2.Upload("r", u.ID())
	require.NoError(t, err)
	require.Equal(t, int64(4000), u2.Size())
	require.WithinDuration(t, u.Started(), u2.Started(), time.Second)
	_, err = u2.Append(bytes.NewReader(data[4000:]), 4000)
	require.NoError(t, err)
	d := reference.SHA256.FromBytes(data)
	require.NoError(t, u2.Commit(d))
	require.Equal(t, data, readBlob(t, s2, "r", d))
}

// A process killed in the middle of an append leaves more (or garbled)
// bytes than it acknowledged: the commit then fails its digest check and
// nothing is stored, so no corrupt blob is ever served.
func TestHalfWrittenUploadNeverBecomesABlob(t *testing.T) {
	root := t.TempDir()
	s1, err := Open(root)
	require.NoError(t, err)
	data := randomBytes(t, 10000)
	u, err := s1.NewUpload("r")
	require.NoError(t, err)
	_, err = u.Append(bytes.NewReader(data[:6000]), 0)
	require.NoError(t, err)
	// the crash: a torn write of zeros past what was acknowledged
	f, err := os.OpenFile(u.dataPath(), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 4000))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	s2, err := Open(root)
	require.NoError(t, err)
	u2, err := s2.Upload("r", u.ID())
	require.NoError(t, err)
	require.Equal(t, int64(10000), u2.Size(), "the status reports what is on disk")
	d := reference.SHA256.FromBytes(data)
	require.ErrorIs(t, u2.Commit(d), ErrDigestMismatch)
	_, err = s2.StatBlob("r", d)
	require.ErrorIs(t, err, ErrBlobUnknown)
	_, err = os.Stat(s2.blobPath(d))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// Files a crash can leave behind are never taken for content: a torn
// temporary file next to a blob, a session directory without its info
// file, a blob whose repository link was never written.
func TestCrashDebrisIsInvisible(t *testing.T) {
	root := t.TempDir()
	s1, err := Open(root)
	require.NoError(t, err)
	data := randomBytes(t, 300)
	d := reference.SHA256.FromBytes(data)
	// a torn temporary file where the blob would go
	tmp := filepath.Join(filepath.Dir(s1.blobPath(d)), "."+d.Encoded()+".tmp123")
	require.NoError(t, os.MkdirAll(filepath.Dir(tmp), 0o755))
	require.NoError(t, os.WriteFile(tmp, data[:100], 0o644))
	// a torn temporary tag file
	require.NoError(t, os.MkdirAll(s1.tagsPath("r"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(s1.tagsPath("r"), ".latest.tmp9"), []byte(`{"manif`), 0o644))
	// a session killed before its info file was written
	orphan := s1.uploadPath("00000000-0000-4000-8000-000000000000")
	require.NoError(t, os.MkdirAll(orphan, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(orphan, uploadDataFile), data, 0o644))
	// a blob committed but killed before the link
	other := randomBytes(t, 50)
	od := reference.SHA256.FromBytes(other)
	require.NoError(t, os.MkdirAll(filepath.Dir(s1.blobPath(od)), 0o755))
	require.NoError(t, os.WriteFile(s1.blobPath(od), other, 0o644))

	s2, err := Open(root)
	require.NoError(t, err)
	_, err = s2.StatBlob("r", d)
	require.ErrorIs(t, err, ErrBlobUnknown)
	_, err = s2.StatBlob("r", od)
	require.ErrorIs(t, err, ErrBlobUnknown, "content without a link is not in the repository")
	_, err = s2.Tag("r", "latest")
	require.ErrorIs(t, err, ErrTagUnknown)
	_, err = s2.Upload("r", "00000000-0000-4000-8000-000000000000")
	require.ErrorIs(t, err, ErrUploadUnknown)

	// pushing for real still works; the leftovers are only debris
	require.Equal(t, d, pushBlob(t, s2, "r", data))
	require.Equal(t, data, readBlob(t, s2, "r", d))
	require.Equal(t, od, pushBlob(t, s2, "r", other))
	require.Equal(t, other, readBlob(t, s2, "r", od))
	// the sweeper clears the orphaned session once it is old
	old := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(orphan, uploadDataFile), old, old))
	require.NoError(t, os.Chtimes(orphan, old, old))
	n, err := s2.SweepUploads(time.Hour)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = os.Stat(orphan)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestSweepUploads(t *testing.T) {
	s := openStore(t)
	stale, err := s.NewUpload("r")
	require.NoError(t, err)
	fresh, err := s.NewUpload("r")
	require.NoError(t, err)
	busy, err := s.NewUpload("r")
	require.NoError(t, err)
	old := time.Now().Add(-2 * time.Hour)
	for _, u := range []*Upload{stale, busy} {
		dir := s.uploadPath(u.ID())
		for _, p := range []string{filepath.Join(dir, uploadInfoFile), filepath.Join(dir, uploadDataFile), dir} {
			require.NoError(t, os.Chtimes(p, old, old))
		}
	}
	busy.mu.Lock() // a request is streaming into it
	n, err := s.SweepUploads(time.Hour)
	busy.mu.Unlock()
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = s.Upload("r", stale.ID())
	require.ErrorIs(t, err, ErrUploadUnknown)
	_, err = stale.Append(bytes.NewReader([]byte("x")), -1)
	require.ErrorIs(t, err, ErrUploadUnknown)
	_, err = s.Upload("r", fresh.ID())
	require.NoError(t, err)
	_, err = s.Upload("r", busy.ID())
	require.NoError(t, err)
}

// A body that fails midway keeps what arrived; the session reports it and
// can go on.
func TestUploadAppendReadError(t *testing.T) {
	s := openStore(t)
	u, err := s.NewUpload("r")
	require.NoError(t, err)
	boom := errors.New("connection reset")
	n, err := u.Append(io.MultiReader(bytes.NewReader([]byte("abc")), errReader{boom}), 0)
	require.ErrorIs(t, err, boom)
	require.Equal(t, int64(3), n)
	require.Equal(t, int64(3), u.Size())
	_, err = u.Append(bytes.NewReader([]byte("def")), 3)
	require.NoError(t, err)
	require.NoError(t, u.Commit(reference.SHA256.FromBytes([]byte("abcdef"))))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestNewIDIsAValidUUID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id, err := newID()
		require.NoError(t, err)
		require.True(t, validID(id), id)
		require.Equal(t, byte('4'), id[14])
		require.False(t, seen[id])
		seen[id] = true
	}
}
