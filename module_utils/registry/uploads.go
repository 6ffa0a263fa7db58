package registry

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gating/containers/module_utils/registry/reference"
	"github.com/gating/containers/module_utils/registry/storage"
)

// startUpload serves POST /v2/<name>/blobs/uploads/: a cross-repository
// mount (?mount=<digest>[&from=<repo>]), a monolithic upload (?digest=
// with the blob as body), or the start of an upload session.
func (r *Registry) startUpload(w http.ResponseWriter, req *http.Request, name string) error {
	q := req.URL.Query()
	if mount := q.Get("mount"); mount != "" {
		if d, ok := r.mount(req, name, mount, q.Get("from")); ok {
			blobCreated(w, name, d)
			return nil
		}
		// the spec's fallback: a normal upload session
	} else if q.Has("digest") {
		digests, err := parseDigests(q["digest"])
		if err != nil {
			return err
		}
		u, err := r.store.NewUpload(name)
		if err != nil {
			return err
		}
		if err := r.finish(u, req, digests, -1); err != nil {
			return err
		}
		blobCreated(w, name, digests[0])
		return nil
	}
	u, err := r.store.NewUpload(name)
	if err != nil {
		return err
	}
	uploadStatus(w, name, u, http.StatusAccepted)
	return nil
}

// mount links blob mount from repository from (any repository when from
// is empty) into name, if the client may read the source and it holds the
// blob. Any failure just means the client must upload the blob.
func (r *Registry) mount(req *http.Request, name, mount, from string) (reference.Digest, bool) {
	d, err := reference.ParseDigest(mount)
	if err != nil {
		return "", false
	}
	if from != "" && reference.ValidateName(from) != nil {
		return "", false
	}
	// with no source, reading the whole registry is what a mount needs
	if err := r.auth.Authorize(req, Scope{Repository: from, Actions: []string{ActionPull}}); err != nil {
		r.log.Debug("mount source not authorized", "from", from, "digest", d, "error", err)
		return "", false
	}
	if err := r.store.MountBlob(name, from, d); err != nil {
		if !errors.Is(err, storage.ErrBlobUnknown) {
			r.log.Error("mounting blob", "error", err)
		}
		return "", false
	}
	return d, true
}

// upload serves an upload session: GET (status), PATCH (a chunk), PUT (the
// optional last chunk and the digest) and DELETE (cancel).
func (r *Registry) upload(w http.ResponseWriter, req *http.Request, name, id string) error {
	var digests []reference.Digest
	if req.Method == http.MethodPut {
		var err error
		if digests, err = parseDigests(req.URL.Query()["digest"]); err != nil {
			return err
		}
	}
	u, err := r.store.Upload(name, id)
	if err != nil {
		return err
	}
	switch req.Method {
	case http.MethodGet:
		uploadStatus(w, name, u, http.StatusNoContent)
		return nil
	case http.MethodDelete:
		if err := u.Cancel(); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	offset, err := chunkOffset(req)
	if err != nil {
		return rangeError(name, u, err)
	}
	if req.Method == http.MethodPatch {
		if _, err := u.Append(body{req.Body}, offset); err != nil {
			if errors.Is(err, storage.ErrUploadOffset) {
				return rangeError(name, u, err)
			}
			return err
		}
		uploadStatus(w, name, u, http.StatusAccepted)
		return nil
	}
	if err := r.finish(u, req, digests, offset); err != nil {
		if errors.Is(err, storage.ErrUploadOffset) {
			return rangeError(name, u, err)
		}
		return err
	}
	blobCreated(w, name, digests[0])
	return nil
}

// finish appends the request body, if any, and commits the upload. A
// failure other than a misplaced chunk ends the session: the client has to
// start over, and nothing it sent is kept.
func (r *Registry) finish(u *storage.Upload, req *http.Request, digests []reference.Digest, offset int64) error {
	if req.ContentLength != 0 && req.Body != nil && req.Body != http.NoBody {
		if _, err := u.Append(body{req.Body}, offset); err != nil {
			if !errors.Is(err, storage.ErrUploadOffset) {
				_ = u.Cancel()
			}
			return err
		}
	}
	if err := u.Commit(digests...); err != nil {
		if !errors.Is(err, storage.ErrUploadUnknown) {
			_ = u.Cancel()
		}
		return err
	}
	return nil
}

// parseDigests parses the digest parameters of a request (at least one).
func parseDigests(values []string) ([]reference.Digest, error) {
	if len(values) == 0 || values[0] == "" {
		return nil, newError(http.StatusBadRequest, codeDigestInvalid, "digest parameter missing", nil)
	}
	out := make([]reference.Digest, 0, len(values))
	for _, v := range values {
		d, err := reference.ParseDigest(v)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// errBadRange is a Content-Range that cannot describe the chunk sent.
var errBadRange = errors.New("invalid Content-Range")

// chunkOffset returns where the request's chunk starts by its Content-Range
// ("<start>-<end>", also "bytes <start>-<end>/<total>"), or -1 (append)
// without one. The range must match Content-Length when both are given.
func chunkOffset(req *http.Request) (int64, error) {
	cr := req.Header.Get("Content-Range")
	if cr == "" {
		return -1, nil
	}
	spec := strings.TrimSpace(cr)
	spec = strings.TrimPrefix(spec, "bytes=")
	spec = strings.TrimPrefix(spec, "bytes ")
	spec, _, _ = strings.Cut(spec, "/")
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, fmt.Errorf("%w: %q", errBadRange, cr)
	}
	start, err1 := strconv.ParseInt(first, 10, 64)
	end, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, fmt.Errorf("%w: %q", errBadRange, cr)
	}
	if req.ContentLength >= 0 && end-start+1 != req.ContentLength {
		return 0, fmt.Errorf("%w: %q for %d bytes", errBadRange, cr, req.ContentLength)
	}
	return start, nil
}

// rangeError is a 416 carrying the session's current state, so that the
// client can resume.
func rangeError(name string, u *storage.Upload, cause error) error {
	e := newError(http.StatusRequestedRangeNotSatisfiable, codeBlobUploadInvalid, "chunk does not continue the upload", cause.Error()).withCause(cause)
	e.Header = map[string]string{
		"Location":           uploadLocation(name, u),
		"Range":              uploadRange(u.Size()),
		"Docker-Upload-UUID": u.ID(),
	}
	return e
}

// uploadStatus answers with the session's location and the bytes held.
func uploadStatus(w http.ResponseWriter, name string, u *storage.Upload, status int) {
	h := w.Header()
	h.Set("Location", uploadLocation(name, u))
	h.Set("Range", uploadRange(u.Size()))
	h.Set("Docker-Upload-UUID", u.ID())
	w.WriteHeader(status)
}

func uploadLocation(name string, u *storage.Upload) string {
	return "/v2/" + name + "/blobs/uploads/" + u.ID()
}

// uploadRange is the spec's inclusive "0-<last byte>" (0-0 when empty).
func uploadRange(size int64) string {
	return fmt.Sprintf("0-%d", max(size-1, 0))
}

// blobCreated answers a completed upload or mount.
func blobCreated(w http.ResponseWriter, name string, d reference.Digest) {
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/"+string(d))
	h.Set("Docker-Content-Digest", string(d))
	w.WriteHeader(http.StatusCreated)
}

// errBodyRead marks a failure to read the request body: the client's
// doing (a dropped connection, a short body), not the server's.
var errBodyRead = errors.New("reading the request body")

// body tags the errors of a request body with errBodyRead.
type body struct{ r io.Reader }

func (b body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", errBodyRead, err)
	}
	return n, err
}
