package storage

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gating/containers/module_utils/registry/reference"
)

// Domain errors. The registry maps them to the distribution spec's error
// codes at its edge; storage knows nothing of HTTP.
var (
	ErrBlobUnknown       = errors.New("blob unknown")
	ErrManifestUnknown   = errors.New("manifest unknown")
	ErrTagUnknown        = errors.New("tag unknown")
	ErrRepositoryUnknown = errors.New("repository unknown")
	ErrUploadUnknown     = errors.New("upload unknown")
	ErrDigestMismatch    = errors.New("content does not match digest")
	ErrUploadOffset      = errors.New("upload offset mismatch")
	ErrReferenceMissing  = errors.New("manifest references content missing from the repository")
	ErrInvalidInput      = errors.New("invalid input")
)

// OffsetError is an append that did not start where the upload ends.
type OffsetError struct {
	Size   int64 // bytes the upload holds
	Offset int64 // where the append was asked to start
}

func (e *OffsetError) Error() string {
	return fmt.Sprintf("upload holds %d bytes, chunk starts at %d", e.Size, e.Offset)
}

// Is makes errors.Is(err, ErrUploadOffset) true.
func (e *OffsetError) Is(target error) bool { return target == ErrUploadOffset }

// MissingError lists what a manifest references that its repository lacks.
type MissingError struct {
	Blobs     []reference.Digest // config and layers
	Manifests []reference.Digest // index children
}

func (e *MissingError) Error() string {
	var parts []string
	for _, d := range e.Blobs {
		parts = append(parts, "blob "+string(d))
	}
	for _, d := range e.Manifests {
		parts = append(parts, "manifest "+string(d))
	}
	return "missing " + strings.Join(parts, ", ")
}

// Is makes errors.Is(err, ErrReferenceMissing) true.
func (e *MissingError) Is(target error) bool { return target == ErrReferenceMissing }
