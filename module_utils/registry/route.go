package registry

import (
	"net/http"
	"strings"
)

// kind is an endpoint of the API.
type kind int

const (
	routePing        kind = iota + 1 // /v2/
	routeCatalog                     // /v2/_catalog
	routeBlob                        // /v2/<name>/blobs/<digest>
	routeUploadStart                 // /v2/<name>/blobs/uploads/
	routeUpload                      // /v2/<name>/blobs/uploads/<id>
	routeManifest                    // /v2/<name>/manifests/<reference>
	routeTags                        // /v2/<name>/tags/list
	routeReferrers                   // /v2/<name>/referrers/<digest>
)

// route is a parsed request path. name is not validated yet.
type route struct {
	kind kind
	name string
	ref  string // digest, tag, or upload id
}

// methods lists what each endpoint answers.
var methods = map[kind][]string{
	routePing:        {http.MethodGet, http.MethodHead},
	routeCatalog:     {http.MethodGet},
	routeBlob:        {http.MethodGet, http.MethodHead, http.MethodDelete},
	routeUploadStart: {http.MethodPost},
	routeUpload:      {http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete},
	routeManifest:    {http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete},
	routeTags:        {http.MethodGet},
	routeReferrers:   {http.MethodGet},
}

// parseRoute splits a path into endpoint, repository name and reference.
// Repository names may contain slashes and even components such as
// "blobs", so the endpoint is recognised from the end of the path.
func parseRoute(path string) (route, bool) {
	rest, ok := strings.CutPrefix(path, "/v2")
	if !ok {
		return route{}, false
	}
	switch rest {
	case "", "/":
		return route{kind: routePing}, true
	case "/_catalog":
		return route{kind: routeCatalog}, true
	}
	rest, ok = strings.CutPrefix(rest, "/")
	if !ok {
		return route{}, false
	}
	seg := strings.Split(rest, "/")
	n := len(seg)
	// name/blobs/uploads/ and name/blobs/uploads/<id>
	if n >= 4 && seg[n-3] == "blobs" && seg[n-2] == "uploads" {
		name := strings.Join(seg[:n-3], "/")
		if seg[n-1] == "" {
			return route{kind: routeUploadStart, name: name}, true
		}
		return route{kind: routeUpload, name: name, ref: seg[n-1]}, true
	}
	if n >= 3 && seg[n-2] == "blobs" && seg[n-1] == "uploads" {
		return route{kind: routeUploadStart, name: strings.Join(seg[:n-2], "/")}, true
	}
	if n < 3 {
		return route{}, false
	}
	name := strings.Join(seg[:n-2], "/")
	last := seg[n-1]
	switch seg[n-2] {
	case "blobs":
		return route{kind: routeBlob, name: name, ref: last}, last != ""
	case "manifests":
		return route{kind: routeManifest, name: name, ref: last}, last != ""
	case "referrers":
		return route{kind: routeReferrers, name: name, ref: last}, last != ""
	case "tags":
		return route{kind: routeTags, name: name}, last == "list"
	}
	return route{}, false
}
