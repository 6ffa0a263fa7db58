// Package logtail quotes the end of a daemon's log in an error message: the
// reason a daemon did not come up is there, not in its exit status.
package logtail

import (
	"fmt"
	"io"
	"os"
	"strings"
)

const (
	// Lines is how many lines of a log an error message quotes at most.
	Lines     = 20
	tailBytes = 16 << 10
)

// Quote quotes the last lines of the log written since offset (-1: the
// end of the log, whenever written), for an error message: the reason a
// daemon did not come up is there, not in its exit status.
func Quote(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("; no log to quote: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("; no log to quote: %v", err)
	}
	from := fi.Size() - tailBytes
	if offset > from {
		from = offset
	}
	if from < 0 {
		from = 0
	}
	data, err := io.ReadAll(io.NewSectionReader(f, from, fi.Size()-from))
	if err != nil {
		return fmt.Sprintf("; no log to quote: reading %s: %v", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if from > 0 && from != offset && len(lines) > 1 {
		lines = lines[1:] // cut mid-line
	}
	if len(lines) > Lines {
		lines = lines[len(lines)-Lines:]
	}
	text := strings.Join(lines, "\n")
	if strings.TrimSpace(text) == "" {
		return fmt.Sprintf("; %s has nothing new", path)
	}
	return fmt.Sprintf("; last lines of %s:\n%s", path, text)
}
