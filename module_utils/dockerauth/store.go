package dockerauth

import (
	"strings"

	"github.com/gating/containers/module_utils/jsondoc"
)

// Store names the credential helper a config sends a registry's lookups
// to. Docker reads "auths" for a registry only when it has none: a
// credHelpers entry for the registry wins, then credsStore.
type Store struct {
	Helper string // e.g. "desktop", "pass", "ecr-login"; empty when docker reads "auths"
	Key    string // where it is configured: "credHelpers" or "credsStore"
}

// storeFor finds the helper doc configures for registry. A credHelpers key
// matches when it equals registry, or names the same host[:port] once a
// scheme and path are dropped (docker looks helpers up by host[:port]).
func storeFor(doc *jsondoc.Object, registry string) Store {
	if v, ok := doc.Get("credHelpers"); ok {
		if helpers, ok := v.(*jsondoc.Object); ok {
			for _, k := range helpers.Keys() {
				h, _ := helpers.Get(k)
				name, ok := h.(string)
				if ok && name != "" && (k == registry || hostname(k) == hostname(registry)) {
					return Store{Helper: name, Key: "credHelpers"}
				}
			}
		}
	}
	if v, ok := doc.Get("credsStore"); ok {
		if name, ok := v.(string); ok && name != "" {
			return Store{Helper: name, Key: "credsStore"}
		}
	}
	return Store{}
}

// hostname reduces a registry key to host[:port], as docker's
// ConvertToHostname does: "https://r.example:5000/v2/" -> "r.example:5000".
func hostname(key string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(key, "http://"), "https://")
	if i := strings.IndexByte(h, '/'); i >= 0 {
		h = h[:i]
	}
	return h
}
