package registry

import (
	"net/http"
	"time"

	"github.com/gating/containers/module_utils/registry/reference"
)

// blob serves GET, HEAD and DELETE of /v2/<name>/blobs/<digest>.
func (r *Registry) blob(w http.ResponseWriter, req *http.Request, name, ref string) error {
	d, err := reference.ParseDigest(ref)
	if err != nil {
		return err
	}
	if req.Method == http.MethodDelete {
		if err := r.store.DeleteBlob(name, d); err != nil {
			return err
		}
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	f, _, err := r.store.OpenBlob(name, d)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Docker-Content-Digest", string(d))
	h.Set("Content-Type", "application/octet-stream")
	h.Set("ETag", `"`+string(d)+`"`)
	h.Set("Cache-Control", "max-age=31536000")
	// ServeContent answers HEAD, Range and conditional requests, and lets
	// the server send the file with sendfile.
	http.ServeContent(w, req, "", time.Time{}, f)
	return nil
}
