package fake

import (
	"net/http"
	"strconv"
	"strings"
)

// Quay is quay's API (quay.io/api/v1):
//
//	GET    /api/v1/repository/<ns>/<repo>/tag/?page=&limit=&onlyActive=&specificTag=
//	       {"tags": [{name, start_ts, last_modified, manifest_digest, ...}], "page", "has_additional"}
//	DELETE /api/v1/repository/<ns>/<repo>/tag/<tag>      204
//
// with "Authorization: Bearer <token>". Reads work without a token; a
// DELETE needs it. limit is at most 100 (default 50).
type Quay struct {
	store
	token string
}

// NewQuay serves quay's API to the holder of token.
func NewQuay(token string) *Quay { return &Quay{token: token} }

// quayTime is quay's last_modified format.
const quayTime = "Mon, 02 Jan 2006 15:04:05 -0000"

func (q *Quay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q.record(r)
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/repository/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) < 3 || parts[2] != "tag" || len(parts) > 4 {
		writeJSON(w, http.StatusNotFound, map[string]any{"error_message": "Not Found", "status": 404, "title": "not_found"})
		return
	}
	authed := false
	if a := r.Header.Get("Authorization"); a != "" {
		if a != "Bearer "+q.token {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error_message": "Invalid token", "error_type": "invalid_token", "status": 401, "title": "invalid_token"})
			return
		}
		authed = true
	}
	repo := parts[0] + "/" + parts[1]
	tag := ""
	if len(parts) == 4 {
		tag = parts[3]
	}
	switch {
	case r.Method == http.MethodGet && tag == "":
		q.list(w, r, repo)
	case r.Method == http.MethodDelete && tag != "":
		if !authed {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error_message": "Requires authentication", "error_type": "invalid_token", "status": 401, "title": "invalid_token"})
			return
		}
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.failDelete != 0 {
			writeJSON(w, q.failDelete, map[string]any{"error_message": "internal error", "status": q.failDelete})
			return
		}
		if _, found := q.repos[repo][tag]; !found {
			writeJSON(w, http.StatusNotFound, map[string]any{"error_message": "Not Found", "status": 404, "title": "not_found"})
			return
		}
		delete(q.repos[repo], tag)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error_message": "Method Not Allowed", "status": 405})
	}
}

func (q *Quay) list(w http.ResponseWriter, r *http.Request, repo string) {
	query := r.URL.Query()
	page, limit := 1, 50
	if v := query.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error_message": "invalid page", "status": 400})
			return
		}
		page = n
	}
	if v := query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error_message": "limit must be between 1 and 100", "status": 400})
			return
		}
		limit = n
	}
	q.mu.Lock()
	tags, found := q.newest(repo)
	q.mu.Unlock()
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]any{"error_message": "Not Found", "status": 404, "title": "not_found"})
		return
	}
	if specific := query.Get("specificTag"); specific != "" {
		var only []Tag
		for _, t := range tags {
			if t.Name == specific {
				only = append(only, t)
			}
		}
		tags = only
	}
	start := min((page-1)*limit, len(tags))
	end := min(start+limit, len(tags))
	out := make([]map[string]any, 0, end-start)
	for _, t := range tags[start:end] {
		out = append(out, map[string]any{
			"name":             t.Name,
			"reversion":        false,
			"start_ts":         t.Updated.Unix(),
			"manifest_digest":  t.Digest,
			"is_manifest_list": false,
			"size":             1024,
			"last_modified":    t.Updated.UTC().Format(quayTime),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": out, "page": page, "has_additional": end < len(tags)})
}
