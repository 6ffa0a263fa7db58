package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Hub is Docker Hub's web API (hub.docker.com/v2):
//
//	POST   /v2/users/login                                 {"username","password"} -> {"token"}
//	GET    /v2/repositories/<ns>/<repo>/tags?page=&page_size= {count, next, previous, results}
//	GET    /v2/repositories/<ns>/<repo>/tags/<tag>/        the tag
//	DELETE /v2/repositories/<ns>/<repo>/tags/<tag>/        204
//
// with "Authorization: JWT <token>" (Bearer is accepted too). Reads work
// without a token; a DELETE needs one. Trailing slashes are optional, as
// on Hub. page_size is at most 100 (default 10).
type Hub struct {
	store
	users  map[string]string // user -> password
	tokens map[string]string // token -> user
}

// NewHub serves Hub's API to one user.
func NewHub(user, password string) *Hub {
	return &Hub{users: map[string]string{user: password}, tokens: map[string]string{}}
}

type hubTag struct {
	Name          string `json:"name"`
	Digest        string `json:"digest,omitempty"`
	LastUpdated   string `json:"last_updated"`
	TagLastPushed string `json:"tag_last_pushed"`
	TagStatus     string `json:"tag_status"`
	Images        []any  `json:"images"`
}

func hubJSON(t Tag) hubTag {
	ts := t.Updated.UTC().Format("2006-01-02T15:04:05.000000Z")
	return hubTag{Name: t.Name, Digest: t.Digest, LastUpdated: ts, TagLastPushed: ts, TagStatus: "active", Images: []any{}}
}

func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.record(r)
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path == "/v2/users/login" {
		h.login(w, r)
		return
	}
	rest, ok := strings.CutPrefix(path, "/v2/repositories/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) < 3 || parts[2] != "tags" || len(parts) > 4 {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "page not found"})
		return
	}
	user, authOK := h.user(r)
	if !authOK {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Invalid JWT"})
		return
	}
	repo := parts[0] + "/" + parts[1]
	if len(parts) == 3 {
		if r.Method != http.MethodGet {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method not allowed"})
			return
		}
		h.list(w, r, repo)
		return
	}
	tag := parts[3]
	switch r.Method {
	case http.MethodGet:
		h.mu.Lock()
		t, found := h.repos[repo][tag]
		h.mu.Unlock()
		if !found {
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "object not found", "errinfo": map[string]any{}})
			return
		}
		writeJSON(w, http.StatusOK, hubJSON(t))
	case http.MethodDelete:
		if user == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Authentication credentials were not provided."})
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.failDelete != 0 {
			writeJSON(w, h.failDelete, map[string]string{"message": "internal error"})
			return
		}
		if _, found := h.repos[repo][tag]; !found {
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "object not found", "errinfo": map[string]any{}})
			return
		}
		delete(h.repos[repo], tag)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method not allowed"})
	}
}

func (h *Hub) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method not allowed"})
		return
	}
	var creds struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&creds); err != nil || creds.Username == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"detail": "username and password are required"})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if pw, ok := h.users[creds.Username]; !ok || pw != creds.Password {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Incorrect authentication credentials"})
		return
	}
	t := token()
	h.tokens[t] = creds.Username
	writeJSON(w, http.StatusOK, map[string]string{"token": t})
}

// user is the user of the request's token ("" without one); false for a
// token Hub did not issue.
func (h *Hub) user(r *http.Request) (string, bool) {
	a := r.Header.Get("Authorization")
	if a == "" {
		return "", true
	}
	scheme, tok, _ := strings.Cut(a, " ")
	if scheme != "JWT" && scheme != "Bearer" {
		return "", false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	u, ok := h.tokens[tok]
	return u, ok
}

func (h *Hub) list(w http.ResponseWriter, r *http.Request, repo string) {
	q := r.URL.Query()
	page, size := 1, 10
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"detail": "invalid page"})
			return
		}
		page = n
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"detail": "page_size must be between 1 and 100"})
			return
		}
		size = n
	}
	h.mu.Lock()
	tags, found := h.newest(repo)
	h.mu.Unlock()
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "object not found", "errinfo": map[string]any{}})
		return
	}
	start := min((page-1)*size, len(tags))
	end := min(start+size, len(tags))
	results := make([]hubTag, 0, end-start)
	for _, t := range tags[start:end] {
		results = append(results, hubJSON(t))
	}
	link := func(p int) *string {
		v := url.Values{"page": {strconv.Itoa(p)}, "page_size": {strconv.Itoa(size)}}
		s := fmt.Sprintf("%s%s?%s", baseURL(r), r.URL.Path, v.Encode())
		return &s
	}
	var next, prev *string
	if end < len(tags) {
		next = link(page + 1)
	}
	if page > 1 {
		prev = link(page - 1)
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(tags), "next": next, "previous": prev, "results": results})
}
