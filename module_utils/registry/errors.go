package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gating/containers/module_utils/registry/manifest"
	"github.com/gating/containers/module_utils/registry/reference"
	"github.com/gating/containers/module_utils/registry/storage"
)

// The error codes of the distribution spec (and PAGINATION_NUMBER_INVALID
// of the Docker registry API).
const (
	codeBlobUnknown         = "BLOB_UNKNOWN"
	codeBlobUploadInvalid   = "BLOB_UPLOAD_INVALID"
	codeBlobUploadUnknown   = "BLOB_UPLOAD_UNKNOWN"
	codeDigestInvalid       = "DIGEST_INVALID"
	codeManifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
	codeManifestInvalid     = "MANIFEST_INVALID"
	codeManifestUnknown     = "MANIFEST_UNKNOWN"
	codeNameInvalid         = "NAME_INVALID"
	codeNameUnknown         = "NAME_UNKNOWN"
	codeSizeInvalid         = "SIZE_INVALID"
	codeUnauthorized        = "UNAUTHORIZED"
	codeDenied              = "DENIED"
	codeUnsupported         = "UNSUPPORTED"
	codePaginationInvalid   = "PAGINATION_NUMBER_INVALID"
	codeTagInvalid          = "TAG_INVALID"
	codeUnknown             = "UNKNOWN"
)

// apiError is a failed request as the client sees it: a status, one or
// more spec error entries and extra headers. Handlers return it (or a
// domain error that wireError maps to it); ServeHTTP writes it.
type apiError struct {
	Status  int
	Entries []errorEntry
	Header  map[string]string
	cause   error
}

type errorEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%d %s: %s", e.Status, e.Entries[0].Code, e.Entries[0].Message)
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

func (e *apiError) Unwrap() error { return e.cause }

// newError makes a one-entry apiError.
func newError(status int, code, message string, detail any) *apiError {
	return &apiError{Status: status, Entries: []errorEntry{{Code: code, Message: message, Detail: detail}}}
}

// withCause records the error behind e, for the logs and errors.Is.
func (e *apiError) withCause(err error) *apiError {
	e.cause = err
	return e
}

// wireError maps any error to what the client is told. Domain errors of
// storage, reference and manifest become spec codes; anything else is an
// internal error, reported without detail.
func wireError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var authErr *AuthError
	if errors.As(err, &authErr) {
		status, code := http.StatusUnauthorized, codeUnauthorized
		if authErr.Status == http.StatusForbidden {
			status, code = http.StatusForbidden, codeDenied
		}
		msg := authErr.Message
		if msg == "" {
			msg = http.StatusText(status)
		}
		e := newError(status, code, msg, nil).withCause(err)
		if status == http.StatusUnauthorized && authErr.Challenge != "" {
			e.Header = map[string]string{"WWW-Authenticate": authErr.Challenge}
		}
		return e
	}
	var missing *storage.MissingError
	if errors.As(err, &missing) {
		e := &apiError{Status: http.StatusBadRequest, cause: err}
		for _, d := range missing.Blobs {
			e.Entries = append(e.Entries, errorEntry{codeManifestBlobUnknown, "blob unknown to the repository", map[string]string{"digest": string(d)}})
		}
		for _, d := range missing.Manifests {
			e.Entries = append(e.Entries, errorEntry{codeManifestBlobUnknown, "manifest unknown to the repository", map[string]string{"digest": string(d)}})
		}
		return e
	}
	var offset *storage.OffsetError
	if errors.As(err, &offset) {
		return newError(http.StatusRequestedRangeNotSatisfiable, codeBlobUploadInvalid, "chunk out of order", offset.Error()).withCause(err)
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return newError(http.StatusRequestEntityTooLarge, codeSizeInvalid, "content too large", fmt.Sprintf("limit %d bytes", tooBig.Limit)).withCause(err)
	}
	switch {
	case errors.Is(err, errBodyRead):
		return newError(http.StatusBadRequest, codeBlobUploadInvalid, "incomplete request body", err.Error()).withCause(err)
	case errors.Is(err, storage.ErrBlobUnknown):
		return newError(http.StatusNotFound, codeBlobUnknown, "blob unknown to registry", nil).withCause(err)
	case errors.Is(err, storage.ErrManifestUnknown), errors.Is(err, storage.ErrTagUnknown):
		return newError(http.StatusNotFound, codeManifestUnknown, "manifest unknown", nil).withCause(err)
	case errors.Is(err, storage.ErrRepositoryUnknown):
		return newError(http.StatusNotFound, codeNameUnknown, "repository name not known to registry", nil).withCause(err)
	case errors.Is(err, storage.ErrUploadUnknown):
		return newError(http.StatusNotFound, codeBlobUploadUnknown, "blob upload unknown to registry", nil).withCause(err)
	case errors.Is(err, storage.ErrDigestMismatch):
		return newError(http.StatusBadRequest, codeDigestInvalid, "provided digest did not match uploaded content", err.Error()).withCause(err)
	case errors.Is(err, reference.ErrDigestInvalid), errors.Is(err, reference.ErrDigestUnsupported):
		return newError(http.StatusBadRequest, codeDigestInvalid, "provided digest is invalid or unsupported (sha256 and sha512 are)", err.Error()).withCause(err)
	case errors.Is(err, reference.ErrNameInvalid):
		return newError(http.StatusBadRequest, codeNameInvalid, "invalid repository name", err.Error()).withCause(err)
	case errors.Is(err, reference.ErrTagInvalid):
		return newError(http.StatusBadRequest, codeTagInvalid, "manifest tag did not match URI", err.Error()).withCause(err)
	case errors.Is(err, manifest.ErrInvalid):
		return newError(http.StatusBadRequest, codeManifestInvalid, "manifest invalid", err.Error()).withCause(err)
	case errors.Is(err, storage.ErrInvalidInput):
		return newError(http.StatusBadRequest, codeUnsupported, "invalid request parameters", err.Error()).withCause(err)
	}
	return newError(http.StatusInternalServerError, codeUnknown, "internal server error", nil).withCause(err)
}

// writeError answers a failed request.
func (r *Registry) writeError(w http.ResponseWriter, req *http.Request, err error) {
	e := wireError(err)
	level := r.log.Debug
	if e.Status >= 500 {
		level = r.log.Error
	}
	level("request failed", "method", req.Method, "path", req.URL.Path, "status", e.Status, "error", err)
	h := w.Header()
	for k, v := range e.Header {
		h.Set(k, v)
	}
	body, merr := json.Marshal(struct {
		Errors []errorEntry `json:"errors"`
	}{e.Entries})
	if merr != nil {
		body = []byte(`{"errors":[{"code":"UNKNOWN","message":"internal server error"}]}`)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(e.Status)
	if req.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
