// Package buildkitdtoml puts a registry mirror first for chosen registries
// in buildkitd's configuration file (buildkitd.toml: a
// [registry."<host>"] table with mirrors = [...] per registry), and names
// the CA bundle buildkitd trusts for the mirror itself (ca = [...] in the
// mirror's own [registry."<host:port>"] table).
//
// The file is edited in place (see tomledit): its comments, other tables
// and every key this package does not manage come back byte for byte, and
// a second run changes nothing.
package buildkitdtoml

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

// ErrInline is returned when a registry's settings are written with dotted
// keys or as an inline table; only [registry."<host>"] tables are edited.
var ErrInline = errors.New("registry settings must be written as [registry.\"<host>\"] tables to be edited")

// Request is the wanted configuration.
type Request struct {
	// Mirror is host[:port] of the mirror as buildkitd reaches it, e.g.
	// zuul-jobs.buildset-registry:5000.
	Mirror string
	// Namespaces are the registry hosts whose pulls go to Mirror first.
	Namespaces []string
	// CAFile, when set, is the CA bundle to trust for Mirror.
	CAFile string
	// Absent removes Mirror from the namespaces' mirrors, and CAFile from
	// Mirror's CAs, instead.
	Absent bool
}

// Result is what the file says after the edit.
type Result struct {
	// Mirrors lists, for each namespace, its mirrors in order (empty when
	// it has none).
	Mirrors map[string][]string
	// CA lists the CA files of Mirror's own table (empty when none).
	CA []string
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
	if strings.ContainsAny(r.CAFile, "\r\n") {
		return fmt.Errorf("CA file %q is not a path", r.CAFile)
	}
	return nil
}

// Apply edits the buildkitd.toml at path; with check set nothing is
// written. A missing file is created (present) or left missing (absent). A
// malformed file is an error and is left as it is.
func Apply(path string, r Request, check bool) (Edit, error) {
	if err := r.Validate(); err != nil {
		return Edit{Change: configedit.Change{Path: path}}, err
	}
	if r.Absent {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return Edit{Change: configedit.Change{Path: path}, Result: Result{Mirrors: emptyMirrors(r.Namespaces), CA: []string{}}}, nil
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
	hosts := unique(r.Namespaces)
	if err := checkTables(doc, append(append([]string{}, hosts...), r.Mirror)); err != nil {
		return nil, Result{}, err
	}
	for _, host := range hosts {
		loc := Location(r.Mirror, host)
		if r.Absent {
			doc, err = remove(doc, host, "mirrors", loc)
		} else {
			doc, err = putFirst(doc, host, "mirrors", loc)
		}
		if err != nil {
			return nil, Result{}, err
		}
	}
	if r.CAFile != "" {
		if r.Absent {
			doc, err = remove(doc, r.Mirror, "ca", r.CAFile)
		} else {
			doc, err = addCA(doc, r.Mirror, r.CAFile)
		}
		if err != nil {
			return nil, Result{}, err
		}
	}
	res := result(doc, hosts, r.Mirror)
	if err := verify(res, r); err != nil {
		return nil, res, err
	}
	return doc.Bytes(), res, nil
}

// checkTables refuses registry settings the splicer cannot edit: a
// registry's table written with dotted keys or inline.
func checkTables(doc *tomledit.Doc, hosts []string) error {
	v, ok := doc.Data()["registry"]
	if !ok {
		return nil
	}
	registries, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: registry is not a table", ErrInline)
	}
	for _, h := range hosts {
		if _, set := registries[h]; set && doc.Table("registry", h) == nil {
			return fmt.Errorf("%w: registry.%q is written with dotted keys or as an inline table", ErrInline, h)
		}
	}
	return nil
}

// list returns the key-value key of [registry."host"] as strings.
func list(doc *tomledit.Doc, host, key string) (*tomledit.Table, *tomledit.KeyValue, []string, error) {
	t := doc.Table("registry", host)
	if t == nil {
		return nil, nil, nil, nil
	}
	kv := t.Get(key)
	if kv == nil {
		return t, nil, nil, nil
	}
	have, ok := kv.Strings()
	if !ok {
		return nil, nil, nil, fmt.Errorf("%s is not a list of strings", kv.Path)
	}
	return t, kv, have, nil
}

func block(host, key, value string) tomledit.Block {
	return tomledit.Block{Key: []string{"registry", host},
		Fields: []tomledit.Field{{Key: key, Value: []string{value}}}}
}

// putFirst makes value the first item of key in [registry."host"], keeping
// the other items after it.
func putFirst(doc *tomledit.Doc, host, key, value string) (*tomledit.Doc, error) {
	t, kv, have, err := list(doc, host, key)
	switch {
	case err != nil:
		return nil, err
	case t == nil:
		return doc.AppendTables(block(host, key, value))
	case kv == nil:
		return doc.InsertKeyValue(t, key, []string{value})
	}
	want := append([]string{value}, without(have, value)...)
	if equalStrings(have, want) {
		return doc, nil
	}
	return doc.SetValue(kv, want)
}

// addCA adds file to the CAs of [registry."host"] unless it is there.
func addCA(doc *tomledit.Doc, host, file string) (*tomledit.Doc, error) {
	_, _, have, err := list(doc, host, "ca")
	if err != nil || indexOf(have, file) >= 0 {
		return doc, err
	}
	return putFirst(doc, host, "ca", file)
}

// remove takes value out of key in [registry."host"]. A key left empty is
// removed, and so is a table left empty.
func remove(doc *tomledit.Doc, host, key, value string) (*tomledit.Doc, error) {
	t, kv, have, err := list(doc, host, key)
	if err != nil || kv == nil || indexOf(have, value) < 0 {
		return doc, err
	}
	rest := without(have, value)
	if len(rest) > 0 {
		return doc.SetValue(kv, rest)
	}
	if v, _ := doc.Value(t.Path); len(v.(map[string]any)) == 1 { // only this key: the table was ours
		return doc.DeleteTable(t)
	}
	return doc.DeleteKeyValue(kv)
}

func result(doc *tomledit.Doc, hosts []string, mirror string) Result {
	res := Result{Mirrors: emptyMirrors(hosts), CA: []string{}}
	for _, h := range hosts {
		if _, _, have, err := list(doc, h, "mirrors"); err == nil && have != nil {
			res.Mirrors[h] = have
		}
	}
	if _, _, have, err := list(doc, mirror, "ca"); err == nil && have != nil {
		res.CA = have
	}
	return res
}

// verify checks the edited document says what was asked, so a fault in
// the editing above can never be written to a host.
func verify(res Result, r Request) error {
	for host, mirrors := range res.Mirrors {
		loc := Location(r.Mirror, host)
		if r.Absent {
			if indexOf(mirrors, loc) >= 0 {
				return fmt.Errorf("internal error: %s is still a mirror of %s after removing it", loc, host)
			}
		} else if len(mirrors) == 0 || mirrors[0] != loc || indexOf(mirrors[1:], loc) >= 0 {
			return fmt.Errorf("internal error: the mirrors of %s would be %q, not %s first", host, mirrors, loc)
		}
	}
	if r.CAFile != "" && (indexOf(res.CA, r.CAFile) >= 0) == r.Absent {
		return fmt.Errorf("internal error: the CAs of %s would be %q", r.Mirror, res.CA)
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

func without(list []string, s string) []string {
	out := []string{}
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func unique(list []string) []string {
	seen := map[string]bool{}
	out := []string{}
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
