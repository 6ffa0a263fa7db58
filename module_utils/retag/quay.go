package retag

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// quayAPI lists and deletes tags through quay's API, with the OAuth
// application token as a Bearer token.
type quayAPI struct {
	base   string // https://quay.io
	repo   string // namespace/name
	client *http.Client
	o      options
}

type quayTag struct {
	Name           string `json:"name"`
	ManifestDigest string `json:"manifest_digest"`
	StartTS        int64  `json:"start_ts"`
	LastModified   string `json:"last_modified"`
}

func (q *quayAPI) auth() string {
	if q.o.apiToken == "" {
		return ""
	}
	return "Bearer " + q.o.apiToken
}

func (q *quayAPI) tagsURL(v url.Values) string {
	return q.base + "/api/v1/repository/" + q.repo + "/tag/?" + v.Encode()
}

func (q *quayAPI) page(ctx context.Context, v url.Values) ([]quayTag, bool, error) {
	req, err := http.NewRequest(http.MethodGet, q.tagsURL(v), nil)
	if err != nil {
		return nil, false, err
	}
	body, err := call(ctx, q.client, req, q.auth(), http.StatusOK)
	if err != nil {
		return nil, false, err
	}
	var p struct {
		Tags          []quayTag `json:"tags"`
		HasAdditional bool      `json:"has_additional"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, false, fmt.Errorf("GET %s: %w", req.URL.Redacted(), err)
	}
	return p.Tags, p.HasAdditional, nil
}

func (q *quayAPI) lookup(ctx context.Context, tag string) (string, bool, error) {
	tags, _, err := q.page(ctx, url.Values{"specificTag": {tag}, "onlyActive": {"true"}})
	if err != nil {
		return "", false, err
	}
	for _, t := range tags {
		if t.Name == tag {
			return t.ManifestDigest, true, nil
		}
	}
	return "", false, nil
}

func (q *quayAPI) remove(ctx context.Context, tag string) error {
	if q.o.apiToken == "" {
		return errors.New("quay's API needs an API token to delete tags")
	}
	req, err := http.NewRequest(http.MethodDelete, q.base+"/api/v1/repository/"+q.repo+"/tag/"+url.PathEscape(tag), nil)
	if err != nil {
		return err
	}
	_, err = call(ctx, q.client, req, q.auth(), http.StatusNoContent, http.StatusOK, http.StatusAccepted)
	return err
}

// list walks the pages (page=1, 2, ... while has_additional).
func (q *quayAPI) list(ctx context.Context, match func(string) bool) ([]Tag, error) {
	limit := strconv.Itoa(min(q.o.pageSize, 100))
	var out []Tag
	for page := 1; page <= maxPages; page++ {
		tags, more, err := q.page(ctx, url.Values{"page": {strconv.Itoa(page)}, "limit": {limit}, "onlyActive": {"true"}})
		if err != nil {
			return nil, err
		}
		for _, t := range tags {
			if match(t.Name) {
				out = append(out, Tag{Name: t.Name, Digest: t.ManifestDigest, Updated: quayTime(t)})
			}
		}
		if !more || len(tags) == 0 {
			return out, nil
		}
	}
	return nil, fmt.Errorf("more than %d pages of tags", maxPages)
}

// quayTime is when the tag was last moved: start_ts, or last_modified
// ("Mon, 02 Jan 2006 15:04:05 -0000").
func quayTime(t quayTag) time.Time {
	if t.StartTS > 0 {
		return time.Unix(t.StartTS, 0).UTC()
	}
	if tm, err := time.Parse(time.RFC1123Z, t.LastModified); err == nil {
		return tm
	}
	return time.Time{}
}
