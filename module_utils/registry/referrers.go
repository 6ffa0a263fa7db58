package registry

import (
	"net/http"
	"slices"

	"github.com/gating/containers/module_utils/registry/manifest"
	"github.com/gating/containers/module_utils/registry/reference"
)

// referrers serves GET /v2/<name>/referrers/<digest>: an OCI image index of
// the manifests whose subject is digest, filtered by ?artifactType=. A
// subject nothing refers to (or that does not exist) has an empty list.
func (r *Registry) referrers(w http.ResponseWriter, req *http.Request, name, ref string) error {
	d, err := reference.ParseDigest(ref)
	if err != nil {
		return err
	}
	descs, err := r.store.Referrers(name, d)
	if err != nil {
		return err
	}
	if types := req.URL.Query()["artifactType"]; len(types) > 0 {
		descs = slices.DeleteFunc(descs, func(desc manifest.Descriptor) bool {
			return !slices.Contains(types, desc.ArtifactType)
		})
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	return writeJSON(w, req, manifest.MediaTypeOCIIndex, struct {
		SchemaVersion int                   `json:"schemaVersion"`
		MediaType     string                `json:"mediaType"`
		Manifests     []manifest.Descriptor `json:"manifests"`
	}{2, manifest.MediaTypeOCIIndex, descs}, "")
}
