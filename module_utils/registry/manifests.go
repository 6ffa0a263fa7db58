package registry

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gating/containers/module_utils/registry/manifest"
	"github.com/gating/containers/module_utils/registry/reference"
	"github.com/gating/containers/module_utils/registry/storage"
)

// manifest serves /v2/<name>/manifests/<reference>, by tag or by digest.
func (r *Registry) manifest(w http.ResponseWriter, req *http.Request, name, ref string) error {
	switch req.Method {
	case http.MethodPut:
		return r.putManifest(w, req, name, ref)
	case http.MethodDelete:
		return r.deleteManifest(w, name, ref)
	}
	return r.getManifest(w, req, name, ref)
}

// isDigest tells a digest reference from a tag: tags have no colon.
func isDigest(ref string) bool { return strings.Contains(ref, ":") }

// getManifest answers GET and HEAD. By tag, the stored format is chosen by
// the Accept header; HEAD answers exactly the headers GET would.
func (r *Registry) getManifest(w http.ResponseWriter, req *http.Request, name, ref string) error {
	var d reference.Digest
	if isDigest(ref) {
		var err error
		if d, err = reference.ParseDigest(ref); err != nil {
			return err
		}
	} else {
		if err := reference.ValidateTag(ref); err != nil {
			return err
		}
		entries, err := r.store.Tag(name, ref)
		if err != nil {
			return err
		}
		chosen, ok := negotiate(req.Header.Values("Accept"), entries)
		if !ok {
			stored := make([]string, len(entries))
			for i, e := range entries {
				stored[i] = e.MediaType
			}
			return newError(http.StatusNotFound, codeManifestUnknown,
				fmt.Sprintf("tag %s is stored as %s, which the Accept header does not allow", ref, strings.Join(stored, ", ")),
				map[string]any{"tag": ref, "stored": stored, "accept": req.Header.Values("Accept")})
		}
		d = chosen.Digest
	}
	var rev storage.Revision
	var content []byte
	var err error
	if req.Method == http.MethodHead {
		rev, err = r.store.Revision(name, d)
	} else {
		rev, content, err = r.store.Manifest(name, d)
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", rev.MediaType)
	h.Set("Content-Length", fmt.Sprint(rev.Size))
	h.Set("Docker-Content-Digest", string(d))
	h.Set("ETag", `"`+string(d)+`"`)
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		_, _ = w.Write(content)
	}
	return nil
}

// putManifest validates and stores a manifest: by tag (its digest is the
// canonical sha256) or by digest (which it must match), with any ?tag=
// parameters as further tags.
func (r *Registry) putManifest(w http.ResponseWriter, req *http.Request, name, ref string) error {
	var tags []string
	var d reference.Digest
	if isDigest(ref) {
		var err error
		if d, err = reference.ParseDigest(ref); err != nil {
			return err
		}
	} else {
		if err := reference.ValidateTag(ref); err != nil {
			return err
		}
		tags = append(tags, ref)
	}
	params := req.URL.Query()["tag"]
	for _, t := range params {
		if err := reference.ValidateTag(t); err != nil {
			return err
		}
	}
	tags = append(tags, params...)
	content, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.maxManifest))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return fmt.Errorf("%w: %w", errBodyRead, err)
	}
	m, err := manifest.Parse(req.Header.Get("Content-Type"), content)
	if err != nil {
		return err
	}
	if d == "" {
		d = reference.Canonical.FromBytes(content)
	} else if got := d.Algorithm().FromBytes(content); got != d {
		return newError(http.StatusBadRequest, codeDigestInvalid, "manifest content does not match the digest", fmt.Sprintf("content is %s, not %s", got, d))
	}
	if err := r.store.PutManifest(name, d, content, m, tags...); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/manifests/"+string(d))
	h.Set("Docker-Content-Digest", string(d))
	if m.Subject != nil {
		h.Set("OCI-Subject", string(m.Subject.Digest))
	}
	for _, t := range params {
		h.Add("OCI-Tag", t)
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

// deleteManifest removes a manifest (by digest: with every tag pointing at
// it) or only a tag.
func (r *Registry) deleteManifest(w http.ResponseWriter, name, ref string) error {
	if isDigest(ref) {
		d, err := reference.ParseDigest(ref)
		if err != nil {
			return err
		}
		if err := r.store.DeleteManifest(name, d); err != nil {
			return err
		}
	} else {
		if err := reference.ValidateTag(ref); err != nil {
			return err
		}
		if err := r.store.DeleteTag(name, ref); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
