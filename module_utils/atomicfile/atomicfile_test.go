package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteNewFileCreatesParents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "file")
	require.NoError(t, Write(path, []byte("x"), 0o600))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "x", string(data))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file may be left behind")
}

func TestWriteKeepsModeAndOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o640))
	require.NoError(t, os.Chmod(path, 0o640))
	if os.Getuid() == 0 {
		require.NoError(t, os.Chown(path, 1234, 5678))
	}
	require.NoError(t, Write(path, []byte("new"), 0o600))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	if os.Getuid() == 0 {
		st := fi.Sys().(*syscall.Stat_t)
		require.Equal(t, uint32(1234), st.Uid)
		require.Equal(t, uint32(5678), st.Gid)
	}
}

func TestWriteThroughSymlinkKeepsLink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "config.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(target), 0o755))
	require.NoError(t, os.WriteFile(target, []byte("old"), 0o644))
	link := filepath.Join(dir, "link.json")
	require.NoError(t, os.Symlink("real/config.json", link))
	chain := filepath.Join(dir, "chain.json")
	require.NoError(t, os.Symlink(link, chain))

	require.NoError(t, Write(chain, []byte("new"), 0o600))
	fi, err := os.Lstat(chain)
	require.NoError(t, err)
	require.True(t, fi.Mode()&os.ModeSymlink != 0)
	fi, err = os.Lstat(link)
	require.NoError(t, err)
	require.True(t, fi.Mode()&os.ModeSymlink != 0)
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	require.Equal(t, "new", string(data))
}

func TestWriteDanglingSymlinkCreatesTarget(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink("sub/target", link))
	require.NoError(t, Write(link, []byte("x"), 0o644))
	data, err := os.ReadFile(filepath.Join(dir, "sub", "target"))
	require.NoError(t, err)
	require.Equal(t, "x", string(data))
}

func TestWriteRefusesLoopsAndDirectories(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	require.NoError(t, os.Symlink(b, a))
	require.NoError(t, os.Symlink(a, b))
	err := Write(a, []byte("x"), 0o644)
	require.ErrorContains(t, err, "too many levels of symbolic links")

	err = Write(dir, []byte("x"), 0o644)
	require.ErrorContains(t, err, "not a regular file")
}

func TestReadMissing(t *testing.T) {
	data, exists, err := Read(filepath.Join(t.TempDir(), "missing"))
	require.NoError(t, err)
	require.False(t, exists)
	require.Nil(t, data)
}
