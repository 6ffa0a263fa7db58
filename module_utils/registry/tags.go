package registry

import "net/http"

// tags serves GET /v2/<name>/tags/list, sorted, with n/last paging.
func (r *Registry) tags(w http.ResponseWriter, req *http.Request, name string) error {
	all, err := r.store.Tags(name)
	if err != nil {
		return err
	}
	tags, next, err := page(req, all, "/v2/"+name+"/tags/list")
	if err != nil {
		return err
	}
	return writeJSON(w, req, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{name, tags}, next)
}
