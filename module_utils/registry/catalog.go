package registry

import "net/http"

// catalog serves GET /v2/_catalog: every repository, sorted, with n/last
// paging.
func (r *Registry) catalog(w http.ResponseWriter, req *http.Request) error {
	repos, next, err := page(req, r.store.Repositories(), "/v2/_catalog")
	if err != nil {
		return err
	}
	return writeJSON(w, req, "application/json", struct {
		Repositories []string `json:"repositories"`
	}{repos}, next)
}
