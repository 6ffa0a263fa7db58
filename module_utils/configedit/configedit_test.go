package configedit

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func upper(data []byte, exists bool) ([]byte, error) {
	if !exists {
		return []byte("NEW\n"), nil
	}
	out := make([]byte, len(data))
	for i, c := range data {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return out, nil
}

func TestApplyCheckModeWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, []byte("abc\n"), 0o644))
	c, err := Apply(path, 0o600, true, upper)
	require.NoError(t, err)
	require.True(t, c.Changed)
	require.Equal(t, "ABC\n", string(c.After))
	data, _ := os.ReadFile(path)
	require.Equal(t, "abc\n", string(data))
}

func TestApplyWritesThenIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, []byte("abc\n"), 0o644))
	c, err := Apply(path, 0o600, false, upper)
	require.NoError(t, err)
	require.True(t, c.Changed)
	data, _ := os.ReadFile(path)
	require.Equal(t, "ABC\n", string(data))
	c, err = Apply(path, 0o600, false, upper)
	require.NoError(t, err)
	require.False(t, c.Changed)
}

func TestApplyNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir", "f")
	c, err := Apply(path, 0o600, false, upper)
	require.NoError(t, err)
	require.True(t, c.Changed)
	require.False(t, c.Existed)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestApplyTransformErrorLeavesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, []byte("{broken"), 0o644))
	_, err := Apply(path, 0o644, false, func([]byte, bool) ([]byte, error) {
		return nil, errors.New("malformed JSON at line 1")
	})
	require.EqualError(t, err, "editing "+path+": malformed JSON at line 1")
	data, _ := os.ReadFile(path)
	require.Equal(t, "{broken", string(data))
}

func TestApplyReportsResolvedPath(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "real"), []byte("x"), 0o644))
	require.NoError(t, os.Symlink("real", filepath.Join(dir, "link")))
	c, err := Apply(filepath.Join(dir, "link"), 0o644, false, upper)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "real"), c.Path)
	fi, err := os.Lstat(filepath.Join(dir, "link"))
	require.NoError(t, err)
	require.True(t, fi.Mode()&os.ModeSymlink != 0)
}
