// Package fake serves the parts of Docker Hub's and quay's web APIs that
// list and delete tags, over tags held in memory, for tests: those
// services cannot run here. Each follows the services' documented API
// (paths, auth headers, JSON shapes, paging), not what a test expects,
// and records every request so tests can check URLs and headers.
package fake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Tag is a tag of a repository: its name, digest and last change.
type Tag struct {
	Name    string
	Digest  string
	Updated time.Time
}

// Request is a request the fake received.
type Request struct {
	Method        string
	Path          string
	Query         string
	Authorization string
}

// store holds the repositories' tags and the requests, for both fakes.
type store struct {
	mu       sync.Mutex
	repos    map[string]map[string]Tag // "namespace/name" -> tag name -> tag
	requests []Request
	// failDelete, when not zero, answers every DELETE with this status.
	failDelete int
}

func (s *store) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization")})
}

// AddTag creates or replaces a tag of repo ("namespace/name").
func (s *store) AddTag(repo string, t Tag) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repos == nil {
		s.repos = map[string]map[string]Tag{}
	}
	if s.repos[repo] == nil {
		s.repos[repo] = map[string]Tag{}
	}
	s.repos[repo][t.Name] = t
}

// Tags lists the tag names of repo, sorted.
func (s *store) Tags(repo string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.repos[repo] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Requests returns the requests received so far.
func (s *store) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// FailDeletes makes every later DELETE answer status (0: normal again).
func (s *store) FailDeletes(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failDelete = status
}

// newest lists the tags of repo, most recently changed first (both
// services' order), then by name.
func (s *store) newest(repo string) ([]Tag, bool) {
	tags, ok := s.repos[repo]
	if !ok {
		return nil, false
	}
	out := make([]Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Updated.Equal(out[j].Updated) {
			return out[i].Updated.After(out[j].Updated)
		}
		return out[i].Name < out[j].Name
	})
	return out, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func token() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// baseURL is the scheme and host the request reached, for absolute links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
