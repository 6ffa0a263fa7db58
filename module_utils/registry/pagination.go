package registry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
)

// page applies the n and last parameters of a listing to sorted items: the
// items after last, at most n of them. When more remain it returns the URL
// of the next page (base with last and n) for the Link header.
func page(req *http.Request, items []string, base string) ([]string, string, error) {
	q := req.URL.Query()
	n := -1
	if s := q.Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return nil, "", newError(http.StatusBadRequest, codePaginationInvalid, "invalid number of results requested", s)
		}
		n = v
	}
	if last := q.Get("last"); last != "" {
		items = items[sort.SearchStrings(items, last):]
		if len(items) > 0 && items[0] == last {
			items = items[1:]
		}
	}
	if n < 0 || len(items) <= n {
		return items, "", nil
	}
	items = items[:n]
	if n == 0 {
		return items, "", nil
	}
	next := url.Values{"last": {items[n-1]}, "n": {strconv.Itoa(n)}}
	return items, base + "?" + next.Encode(), nil
}

// writeJSON answers 200 with v as JSON and, for a partial listing, a Link
// header to the next page.
func writeJSON(w http.ResponseWriter, req *http.Request, contentType string, v any, next string) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	if next != "" {
		h.Set("Link", fmt.Sprintf("<%s>; rel=\"next\"", next))
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}
