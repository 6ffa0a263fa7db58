// Package registriesconf puts a registry mirror first for chosen registries
// in the containers registries.conf (version 2: [[registry]] tables with
// [[registry.mirror]] sub-tables), as read by podman, skopeo, buildah and
// cri-o, and sets unqualified-search-registries.
//
// The file is edited in place (see tomledit): its comments, the entries
// and mirrors of other registries and every key this package does not
// manage come back byte for byte, and a second run changes nothing.
package registriesconf

import (
	"errors"
	"fmt"
	location "github.com/gating/containers/module_utils/mirror"
	"io/fs"
	"os"
	"strings"

	"github.com/gating/containers/module_utils/configedit"
	"github.com/gating/containers/module_utils/tomledit"
)

// ErrV1 is returned for a registries.conf in the version 1 format
// ([registries.search] and similar tables): containers/image refuses a file
// that mixes both, so it must be converted by hand first.
var ErrV1 = errors.New("v1 registries.conf cannot be mixed with v2 entries; convert it")

// ErrInline is returned when the [[registry]] entries or the mirrors of an
// entry to edit are written as inline tables; only [[registry]] and
// [[registry.mirror]] tables are edited.
var ErrInline = errors.New("registry entries and their mirrors must be written as [[registry]] and [[registry.mirror]] tables to be edited")

const unqualifiedKey = "unqualified-search-registries"

// Request is the wanted configuration.
type Request struct {
	// Mirror is host[:port] of the mirror as clients reach it, e.g.
	// zuul-jobs.buildset-registry:5000.
	Mirror string
	// Namespaces are the registry hosts whose pulls go to Mirror first.
	Namespaces []string
	// UnqualifiedSearch is the wanted unqualified-search-registries; empty
	// leaves the key as it is.
	UnqualifiedSearch []string
	// Absent removes Mirror from the namespaces' entries instead.
	Absent bool
}

// Result is what the file says after the edit.
type Result struct {
	// Mirrors lists, for each namespace, the mirror locations of its entry
	// in order (empty when it has none).
	Mirrors map[string][]string
	// UnqualifiedSearch is unqualified-search-registries, nil when unset.
	UnqualifiedSearch []string
}

// Edit is the outcome of Apply.
type Edit struct {
	configedit.Change
	Result
}

// Location is mirror.Location: the docker.io-is-un-namespaced rule.
func Location(m, host string) string { return location.Location(m, host) }

// Validate checks the request before any file is read.
func (r Request) Validate() error {
	if err := location.CheckHost("mirror", r.Mirror); err != nil {
		return err
	}
	for _, h := range r.Namespaces {
		if err := location.CheckHost("namespace", h); err != nil {
			return err
		}
	}
	for _, s := range r.UnqualifiedSearch {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"'") {
			return fmt.Errorf("unqualified search registry %q is not a registry name", s)
		}
	}
	return nil
}

// Apply edits the registries.conf at path; with check set nothing is
// written. A missing file is created (state present) or left missing
// (absent). A malformed or v1 file is an error and is left as it is.
func Apply(path string, r Request, check bool) (Edit, error) {
	if err := r.Validate(); err != nil {
		return Edit{Change: configedit.Change{Path: path}}, err
	}
	if r.Absent {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return Edit{Change: configedit.Change{Path: path}, Result: Result{Mirrors: emptyMirrors(r.Namespaces)}}, nil
		}
	}
	var e Edit
	change, err := configedit.Apply(path, 0o644, check, func(data []byte, _ bool) ([]byte, error) {
		out, res, err := Rewrite(data, r)
		e.Result = res
		return out, err
	})
	e.Change = change
	return e, err
}

// Rewrite returns data with the request applied: the edit of Apply, without
// the file.
func Rewrite(data []byte, r Request) ([]byte, Result, error) {
	if err := r.Validate(); err != nil {
		return nil, Result{}, err
	}
	doc, err := tomledit.Parse(data)
	if err != nil {
		return nil, Result{}, err
	}
	if _, v1 := doc.Data()["registries"]; v1 && !r.Absent {
		return nil, Result{}, fmt.Errorf("%w (found [registries.*] tables)", ErrV1)
	}
	if err := checkEntries(doc); err != nil {
		return nil, Result{}, err
	}
	if !r.Absent && len(r.UnqualifiedSearch) > 0 {
		if doc, err = setUnqualified(doc, r.UnqualifiedSearch); err != nil {
			return nil, Result{}, err
		}
	}
	hosts := unique(r.Namespaces)
	for _, host := range hosts {
		loc := Location(r.Mirror, host)
		if r.Absent {
			doc, err = removeMirror(doc, host, loc)
		} else {
			doc, err = addMirror(doc, host, loc)
		}
		if err != nil {
			return nil, Result{}, err
		}
	}
	res := result(doc, hosts)
	if err := verify(res, r); err != nil {
		return nil, res, err
	}
	return doc.Bytes(), res, nil
}

func setUnqualified(doc *tomledit.Doc, want []string) (*tomledit.Doc, error) {
	kv := doc.Root().Get(unqualifiedKey)
	if kv == nil {
		return doc.InsertKeyValue(doc.Root(), unqualifiedKey, want)
	}
	if have, ok := kv.Strings(); ok && equalStrings(have, want) {
		return doc, nil // same list, whatever its quoting: leave the text alone
	}
	return doc.SetValue(kv, want)
}

// checkEntries refuses [[registry]] entries written as an inline array,
// which the splicer cannot extend.
func checkEntries(doc *tomledit.Doc) error {
	v, ok := doc.Data()["registry"]
	if !ok {
		return nil
	}
	list, isList := v.([]any)
	if !isList || len(list) != len(doc.ArrayTables("registry")) {
		return fmt.Errorf("%w: registry is written as an inline array or table", ErrInline)
	}
	return nil
}

// entries returns the indexes of the [[registry]] entries for host: those
// whose prefix, or location when there is no prefix, is host.
func entries(doc *tomledit.Doc, host string) []int {
	var out []int
	for i, reg := range doc.ArrayTables("registry") {
		v, _ := doc.Value(reg.Path)
		m, _ := v.(map[string]any)
		name, _ := m["prefix"].(string)
		if name == "" {
			name, _ = m["location"].(string)
		}
		if name == host {
			out = append(out, i)
		}
	}
	return out
}

// mirrors returns the [[registry.mirror]] tables of entry i and their
// locations.
func mirrors(doc *tomledit.Doc, i int) (*tomledit.Table, []*tomledit.Table, []string, error) {
	reg := doc.ArrayTables("registry")[i]
	tables := doc.Children(reg, "mirror")
	v, _ := doc.Value(reg.Path)
	m, _ := v.(map[string]any)
	raw, has := m["mirror"]
	if list, isList := raw.([]any); has && (len(tables) == 0 || !isList || len(list) != len(tables)) {
		return nil, nil, nil, fmt.Errorf("%w: the entry %s writes its mirrors inline or as dotted keys", ErrInline, reg.Path)
	}
	locs := make([]string, len(tables))
	for j, t := range tables {
		if kv := t.Get("location"); kv != nil {
			locs[j], _ = kv.String()
		}
	}
	return reg, tables, locs, nil
}

func mirrorBlock(loc string) tomledit.Block {
	return tomledit.Block{Key: []string{"registry", "mirror"}, Array: true,
		Fields: []tomledit.Field{{Key: "location", Value: loc}}}
}

// addMirror makes loc the first mirror of every entry for host, keeping
// the entry's other mirrors after it, or appends an entry for host with
// loc first and host itself second.
func addMirror(doc *tomledit.Doc, host, loc string) (*tomledit.Doc, error) {
	idx := entries(doc, host)
	if len(idx) == 0 {
		return doc.AppendTables(
			tomledit.Block{Key: []string{"registry"}, Array: true, Fields: []tomledit.Field{
				{Key: "prefix", Value: host}, {Key: "location", Value: host}}},
			mirrorBlock(loc),
			mirrorBlock(host),
		)
	}
	for _, i := range idx {
		reg, tables, locs, err := mirrors(doc, i)
		if err != nil {
			return nil, err
		}
		at := doc.FirstChildOffset(reg, "mirror")
		switch pos := indexOf(locs, loc); {
		case pos < 0:
			doc, err = doc.InsertTables(at, mirrorBlock(loc))
		case pos > 0:
			doc, err = doc.MoveTable(tables[pos], at)
		}
		if err != nil {
			return nil, err
		}
		// Ours once only: drop copies further down the list.
		for {
			_, tables, locs, err := mirrors(doc, i)
			if err != nil {
				return nil, err
			}
			dup := indexOf(locs[1:], loc)
			if dup < 0 {
				break
			}
			if doc, err = doc.DeleteTable(tables[dup+1]); err != nil {
				return nil, err
			}
		}
	}
	return doc, nil
}

// removeMirror removes loc from the mirrors of every entry for host. An
// entry left exactly as addMirror creates it, less loc, is removed whole.
func removeMirror(doc *tomledit.Doc, host, loc string) (*tomledit.Doc, error) {
	idx := entries(doc, host)
	for k := len(idx) - 1; k >= 0; k-- { // from the end: removing an entry shifts the later ones
		i := idx[k]
		removed := false
		for {
			_, tables, locs, err := mirrors(doc, i)
			if err != nil {
				return nil, err
			}
			pos := indexOf(locs, loc)
			if pos < 0 {
				break
			}
			if doc, err = doc.DeleteTable(tables[pos]); err != nil {
				return nil, err
			}
			removed = true
		}
		reg := doc.ArrayTables("registry")[i]
		v, _ := doc.Value(reg.Path)
		if removed && isCreated(v, host) {
			var err error
			if doc, err = doc.DeleteTable(reg); err != nil {
				return nil, err
			}
		}
	}
	return doc, nil
}

// isCreated reports whether entry is what addMirror appends for host, less
// the buildset mirror.
func isCreated(entry any, host string) bool {
	m, _ := entry.(map[string]any)
	list, _ := m["mirror"].([]any)
	if len(m) != 3 || m["prefix"] != host || m["location"] != host || len(list) != 1 {
		return false
	}
	mirror, _ := list[0].(map[string]any)
	return len(mirror) == 1 && mirror["location"] == host
}

func result(doc *tomledit.Doc, hosts []string) Result {
	res := Result{Mirrors: emptyMirrors(hosts)}
	for _, host := range hosts {
		if idx := entries(doc, host); len(idx) > 0 {
			if _, _, locs, err := mirrors(doc, idx[0]); err == nil {
				res.Mirrors[host] = locs
			}
		}
	}
	if v, ok := doc.Value(tomledit.Path{unqualifiedKey}); ok {
		res.UnqualifiedSearch, _ = tomledit.Strings(v)
	}
	return res
}

// verify checks the edited document says what was asked, so a fault in
// the editing above can never be written to a host.
func verify(res Result, r Request) error {
	for host, locs := range res.Mirrors {
		loc := Location(r.Mirror, host)
		if r.Absent {
			if indexOf(locs, loc) >= 0 {
				return fmt.Errorf("internal error: %s is still a mirror of %s after removing it", loc, host)
			}
		} else if len(locs) == 0 || locs[0] != loc || indexOf(locs[1:], loc) >= 0 {
			return fmt.Errorf("internal error: the mirrors of %s would be %q, not %s first", host, locs, loc)
		}
	}
	if !r.Absent && len(r.UnqualifiedSearch) > 0 && !equalStrings(res.UnqualifiedSearch, r.UnqualifiedSearch) {
		return fmt.Errorf("internal error: %s would be %q", unqualifiedKey, res.UnqualifiedSearch)
	}
	return nil
}

func emptyMirrors(hosts []string) map[string][]string {
	m := make(map[string][]string, len(hosts))
	for _, h := range hosts {
		m[h] = []string{}
	}
	return m
}

func unique(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
