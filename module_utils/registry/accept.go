package registry

import (
	"mime"
	"sort"
	"strconv"
	"strings"

	"github.com/gating/containers/module_utils/registry/storage"
)

// acceptRange is one media range of an Accept header.
type acceptRange struct {
	mediaType string
	q         float64
}

// parseAccept returns the media ranges of the Accept header values, the
// preferred first: by q-value, then in the client's order. Ranges with
// q=0 are refused by the client and left out; malformed ones are skipped.
func parseAccept(values []string) (ranges []acceptRange, present bool) {
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			present = true
			mt, params, err := mime.ParseMediaType(item)
			if err != nil {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				f, err := strconv.ParseFloat(s, 64)
				if err != nil || f < 0 || f > 1 {
					continue
				}
				q = f
			}
			if q > 0 {
				ranges = append(ranges, acceptRange{mediaType: mt, q: q})
			}
		}
	}
	sort.SliceStable(ranges, func(i, j int) bool { return ranges[i].q > ranges[j].q })
	return ranges, present
}

// negotiate picks the format of a tag to serve: the first stored media type
// the client accepts, in its order of preference; */* (or no Accept at
// all) takes the most recently pushed. entries are oldest first.
func negotiate(accept []string, entries []storage.TagEntry) (storage.TagEntry, bool) {
	if len(entries) == 0 {
		return storage.TagEntry{}, false
	}
	ranges, present := parseAccept(accept)
	if !present {
		return entries[len(entries)-1], true
	}
	for _, ar := range ranges {
		for i := len(entries) - 1; i >= 0; i-- {
			if matches(ar.mediaType, entries[i].MediaType) {
				return entries[i], true
			}
		}
	}
	return storage.TagEntry{}, false
}

// matches reports whether media range pattern (already lower-case, from
// mime.ParseMediaType) covers mediaType.
func matches(pattern, mediaType string) bool {
	mediaType = strings.ToLower(mediaType)
	switch {
	case pattern == "*/*":
		return true
	case strings.HasSuffix(pattern, "/*"):
		return strings.HasPrefix(mediaType, strings.TrimSuffix(pattern, "*"))
	}
	return pattern == mediaType
}
