package retag

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// hubAPI lists and deletes tags through Docker Hub's web API, which
// authenticates with a JWT from users/login ("Authorization: JWT <t>").
type hubAPI struct {
	base   string // https://hub.docker.com
	repo   string // namespace/name
	client *http.Client
	o      options
	jwt    string
}

type hubTag struct {
	Name          string `json:"name"`
	Digest        string `json:"digest"`
	LastUpdated   string `json:"last_updated"`
	TagLastPushed string `json:"tag_last_pushed"`
}

// login gets (once) the JWT for the user. The password is trimmed: a
// trailing newline from a secret file is a classic (pitfall 16).
func (h *hubAPI) login(ctx context.Context) (string, error) {
	if h.jwt != "" {
		return h.jwt, nil
	}
	if h.o.endpoint.Username == "" || h.o.endpoint.Password == "" {
		return "", errors.New("Docker Hub's API needs a username and a password")
	}
	body, err := json.Marshal(map[string]string{"username": h.o.endpoint.Username, "password": strings.TrimSpace(h.o.endpoint.Password)})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequest(http.MethodPost, h.base+"/v2/users/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	answer, err := call(ctx, h.client, req, "", http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("logging in to Docker Hub as %s: %w", h.o.endpoint.Username, err)
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(answer, &tok); err != nil || tok.Token == "" {
		return "", fmt.Errorf("logging in to Docker Hub as %s: no token in the answer", h.o.endpoint.Username)
	}
	h.jwt = tok.Token
	return h.jwt, nil
}

// readAuth is the JWT when there are credentials; reads of public
// repositories need none.
func (h *hubAPI) readAuth(ctx context.Context) (string, error) {
	if h.o.endpoint.Username == "" {
		return "", nil
	}
	jwt, err := h.login(ctx)
	if err != nil {
		return "", err
	}
	return "JWT " + jwt, nil
}

func (h *hubAPI) tagURL(tag string) string {
	return h.base + "/v2/repositories/" + h.repo + "/tags/" + url.PathEscape(tag) + "/"
}

func (h *hubAPI) lookup(ctx context.Context, tag string) (string, bool, error) {
	auth, err := h.readAuth(ctx)
	if err != nil {
		return "", false, err
	}
	req, err := http.NewRequest(http.MethodGet, h.tagURL(tag), nil)
	if err != nil {
		return "", false, err
	}
	body, err := call(ctx, h.client, req, auth, http.StatusOK)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	var t hubTag
	if err := json.Unmarshal(body, &t); err != nil {
		return "", false, fmt.Errorf("GET %s: %w", h.tagURL(tag), err)
	}
	return t.Digest, true, nil
}

// remove deletes the tag; Hub answers 204 (200 before 2019-06).
func (h *hubAPI) remove(ctx context.Context, tag string) error {
	jwt, err := h.login(ctx)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodDelete, h.tagURL(tag), nil)
	if err != nil {
		return err
	}
	_, err = call(ctx, h.client, req, "JWT "+jwt, http.StatusOK, http.StatusNoContent, http.StatusAccepted)
	return err
}

// list walks the pages of repositories/<repo>/tags by their `next` URL.
func (h *hubAPI) list(ctx context.Context, match func(string) bool) ([]Tag, error) {
	auth, err := h.readAuth(ctx)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(h.base)
	if err != nil {
		return nil, err
	}
	next := h.base + "/v2/repositories/" + h.repo + "/tags?page_size=" + strconv.Itoa(min(h.o.pageSize, 100))
	var out []Tag
	for page := 0; page < maxPages; page++ {
		req, err := http.NewRequest(http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		body, err := call(ctx, h.client, req, auth, http.StatusOK)
		if err != nil {
			return nil, err
		}
		var p struct {
			Next    *string  `json:"next"`
			Results []hubTag `json:"results"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("GET %s: %w", req.URL.Redacted(), err)
		}
		for _, t := range p.Results {
			if !match(t.Name) {
				continue
			}
			out = append(out, Tag{Name: t.Name, Digest: t.Digest, Updated: hubTime(t)})
		}
		if p.Next == nil || *p.Next == "" || len(p.Results) == 0 {
			return out, nil
		}
		u, err := req.URL.Parse(*p.Next)
		if err != nil {
			return nil, fmt.Errorf("next page %q: %w", *p.Next, err)
		}
		if err := sameOrigin(base, u); err != nil {
			return nil, err
		}
		next = u.String()
	}
	return nil, fmt.Errorf("more than %d pages of tags", maxPages)
}

// hubTime is when the tag last changed: last_updated, or tag_last_pushed.
func hubTime(t hubTag) time.Time {
	for _, s := range []string{t.LastUpdated, t.TagLastPushed} {
		if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return tm
		}
	}
	return time.Time{}
}
