// Package configedit is the edit pipeline every config-file editor shares:
// read the file (through symlinks), transform its bytes, and replace it
// atomically only when the bytes differ. A transform that fails - a
// malformed existing file, most often - leaves the file untouched.
package configedit

import (
	"bytes"
	"fmt"
	"io/fs"

	"github.com/gating/containers/module_utils/atomicfile"
)

// Change is the outcome of one edit.
type Change struct {
	Path    string // the file edited, after following symlinks
	Existed bool   // whether the file existed before
	Changed bool   // whether the content differs (and, unless checking, was written)
	Before  []byte
	After   []byte
}

// Transform turns a file's current content into the wanted content. It is
// called with exists false and nil data when the file does not exist yet.
// Returning an error aborts the edit; the error should name what is wrong
// in the content, Apply adds the path.
type Transform func(data []byte, exists bool) ([]byte, error)

// Apply edits path with t. With check set, nothing is written and the
// returned Change says what would happen. A new file gets mode perm; an
// existing file keeps its mode and owner.
func Apply(path string, perm fs.FileMode, check bool, t Transform) (Change, error) {
	target, err := atomicfile.Resolve(path)
	if err != nil {
		return Change{Path: path}, fmt.Errorf("editing %s: %w", path, err)
	}
	c := Change{Path: target}
	before, exists, err := atomicfile.Read(target)
	if err != nil {
		return c, fmt.Errorf("editing %s: %w", path, err)
	}
	after, err := t(before, exists)
	if err != nil {
		return c, fmt.Errorf("editing %s: %w", path, err)
	}
	c.Existed, c.Before, c.After = exists, before, after
	c.Changed = !exists || !bytes.Equal(before, after)
	if !c.Changed || check {
		return c, nil
	}
	if err := atomicfile.Write(target, after, perm); err != nil {
		return c, err
	}
	return c, nil
}
