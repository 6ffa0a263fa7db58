package logtail

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dockerd.log")
	var old strings.Builder
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&old, "old run line %d\n", i)
	}
	require.NoError(t, os.WriteFile(path, []byte(old.String()), 0o644))
	offset := int64(old.Len())
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	for i := 0; i < 30; i++ {
		fmt.Fprintf(f, "new line %d\n", i)
	}
	require.NoError(t, f.Close())

	tail := Quote(path, offset)
	require.Contains(t, tail, path)
	require.Contains(t, tail, "new line 29")
	require.Contains(t, tail, "new line 10")
	require.NotContains(t, tail, "new line 9\n")
	require.NotContains(t, tail, "old run")

	require.Contains(t, Quote(path, -1), "new line 29")
	require.Contains(t, Quote(path, offset+1000), "nothing new")
	require.Contains(t, Quote(path+".missing", 0), "no log to quote")
}
