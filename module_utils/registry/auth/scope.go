package auth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gating/containers/module_utils/registry"
)

// Resource types and names of the token protocol's scopes.
const (
	typeRepository = "repository"
	typeRegistry   = "registry"
	nameCatalog    = "catalog"
	actionAll      = "*"
)

// maxScopes bounds the scopes of one token request; a pull or push asks
// for one or a few.
const maxScopes = 64

// access is one resource and its actions: a requested scope, one entry
// of a token's "access" claim, or what a /v2/ request needs.
type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// String is the scope syntax, `type:name:action,action`.
func (a access) String() string {
	return a.Type + ":" + a.Name + ":" + strings.Join(a.Actions, ",")
}

// parseScopes parses the scope parameters of a token request. Each value
// may hold several scopes separated by spaces (the OAuth2 form, and what
// zuul-registry accepted).
func parseScopes(values []string) ([]access, error) {
	var out []access
	for _, v := range values {
		for _, s := range strings.Fields(v) {
			a, err := parseScope(s)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
			if len(out) > maxScopes {
				return nil, fmt.Errorf("more than %d scopes", maxScopes)
			}
		}
	}
	return out, nil
}

// parseScope parses `type:name:actions`. The name may contain ':' (a
// registry host with a port), so the type ends at the first ':' and the
// actions start after the last. A resource class, `repository(plugin)`,
// is dropped.
func parseScope(s string) (access, error) {
	typ, rest, ok := strings.Cut(s, ":")
	i := strings.LastIndexByte(rest, ':')
	if !ok || i <= 0 || typ == "" {
		return access{}, fmt.Errorf("scope %q: want type:name:actions", s)
	}
	if j := strings.IndexByte(typ, '('); j > 0 && strings.HasSuffix(typ, ")") {
		typ = typ[:j]
	}
	a := access{Type: typ, Name: rest[:i]}
	for _, act := range strings.Split(rest[i+1:], ",") {
		if act != "" && !slices.Contains(a.Actions, act) {
			a.Actions = append(a.Actions, act)
		}
	}
	if !quotable(a.Name) {
		return access{}, fmt.Errorf("scope %q: name has characters a challenge cannot carry", s)
	}
	return a, nil
}

// needed is what a /v2/ request with scope s needs. ping is true for the
// API version check, which any valid credential passes; other
// registry-wide requests (the catalog) need `registry:catalog:*`.
func needed(s registry.Scope) (need access, ping bool) {
	if s.Repository == "" {
		if len(s.Actions) == 0 {
			return access{}, true
		}
		return access{Type: typeRegistry, Name: nameCatalog, Actions: []string{actionAll}}, false
	}
	acts := s.Actions
	if len(acts) == 0 {
		// Nothing named: the least a repository request can need.
		acts = []string{registry.ActionPull}
	}
	return access{Type: typeRepository, Name: s.Repository, Actions: acts}, false
}

// level is how far a client is trusted.
type level int

const (
	anonymous level = iota // no or wrong credentials
	reader                 // a read user
	writer                 // a write user
)

func levelOf(a Access) level {
	if a == AccessWrite {
		return writer
	}
	return reader
}

// permits reports whether a client of level l may do action on resource
// typ:name. Everyone may pull any repository and list the catalog;
// anything else on a repository needs a writer; other resources exist
// for nobody.
func permits(l level, typ, name, action string) bool {
	switch typ {
	case typeRepository:
		switch action {
		case registry.ActionPull:
			return true
		case registry.ActionPush, registry.ActionDelete, actionAll:
			return l == writer
		}
	case typeRegistry:
		return name == nameCatalog && action == actionAll
	}
	return false
}

// permitsAll reports whether l may do every action of a.
func permitsAll(l level, a access) bool {
	for _, act := range a.Actions {
		if !permits(l, a.Type, a.Name, act) {
			return false
		}
	}
	return true
}

// needsCredentials reports whether a writer may do an action of a that
// an anonymous client may not.
func needsCredentials(a access) bool {
	for _, act := range a.Actions {
		if permits(writer, a.Type, a.Name, act) && !permits(anonymous, a.Type, a.Name, act) {
			return true
		}
	}
	return false
}

// grant is the part of the requested scopes level l may have: actions
// it may not do are dropped, scopes on the same resource merged, and
// resources left with no action omitted.
func grant(l level, requested []access) []access {
	out := []access{}
	for _, r := range requested {
		var acts []string
		for _, act := range r.Actions {
			if permits(l, r.Type, r.Name, act) {
				acts = append(acts, act)
			}
		}
		if len(acts) == 0 {
			continue
		}
		i := slices.IndexFunc(out, func(a access) bool { return a.Type == r.Type && a.Name == r.Name })
		if i < 0 {
			out = append(out, access{Type: r.Type, Name: r.Name, Actions: acts})
			continue
		}
		for _, act := range acts {
			if !slices.Contains(out[i].Actions, act) {
				out[i].Actions = append(out[i].Actions, act)
			}
		}
	}
	return out
}

// covers reports whether the granted entries allow every action of need.
// "*" stands for every action on its resource.
func covers(granted []access, need access) bool {
	for _, act := range need.Actions {
		ok := false
		for _, g := range granted {
			if g.Type == need.Type && g.Name == need.Name &&
				(slices.Contains(g.Actions, act) || slices.Contains(g.Actions, actionAll)) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
