// Package daemonjson merges settings into dockerd's daemon.json, keeping
// every key it is not asked to change, and knows which keys dockerd applies
// on reload (SIGHUP) and which only at start.
package daemonjson

import (
	"fmt"
	"sort"

	"github.com/gating/containers/module_utils/configedit"
	"github.com/gating/containers/module_utils/jsondoc"
)

// ListMerge says how a list setting combines with the list in the file.
type ListMerge string

const (
	Replace ListMerge = "replace" // the given list replaces the file's
	Prepend ListMerge = "prepend" // the given items first, then the file's others
	Append  ListMerge = "append"  // the file's items, then the given ones not yet there
)

// Reloadable lists the daemon.json keys dockerd re-reads on SIGHUP
// (dockerd's "configuration reload behavior"); any other key needs a
// restart.
var Reloadable = map[string]bool{
	"debug": true, "labels": true, "live-restore": true,
	"max-concurrent-downloads": true, "max-concurrent-uploads": true, "max-download-attempts": true,
	"default-runtime": true, "runtimes": true, "authorization-plugins": true,
	"allow-nondistributable-artifacts": true, "insecure-registries": true, "registry-mirrors": true,
	"shutdown-timeout": true, "features": true, "builder": true,
}

// Request is what to change.
type Request struct {
	Settings  map[string]any // keys to set
	ListMerge ListMerge      // how list values combine; Replace when empty
	Remove    []string       // keys to delete
}

// Edit is the outcome of a merge.
type Edit struct {
	configedit.Change
	ChangedKeys     []string        // keys added, changed or removed
	RestartKeys     []string        // the changed keys dockerd applies only at start
	RestartRequired bool            // len(RestartKeys) > 0
	Config          *jsondoc.Object // the resulting configuration
}

// Merge applies r to the daemon.json at path; with check set nothing is
// written. A malformed file is an error and is left as it is.
func Merge(path string, r Request, check bool) (Edit, error) {
	var e Edit
	change, err := configedit.Apply(path, 0o644, check, func(data []byte, exists bool) ([]byte, error) {
		doc, err := jsondoc.Parse(data)
		if err != nil {
			return nil, err
		}
		e.ChangedKeys, err = apply(doc, r)
		if err != nil {
			return nil, err
		}
		e.Config = doc
		if exists && len(e.ChangedKeys) == 0 {
			return data, nil // same settings: keep the file byte for byte
		}
		return jsondoc.Format(doc, jsondoc.Indent(data, "    "))
	})
	e.Change = change
	if err != nil {
		return e, err
	}
	for _, k := range e.ChangedKeys {
		if !Reloadable[k] {
			e.RestartKeys = append(e.RestartKeys, k)
		}
	}
	e.RestartRequired = len(e.RestartKeys) > 0
	return e, nil
}

func apply(doc *jsondoc.Object, r Request) ([]string, error) {
	changed := []string{}
	keys := make([]string, 0, len(r.Settings))
	for k := range r.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := jsondoc.FromGo(r.Settings[k])
		old, had := doc.Get(k)
		if list, ok := want.([]any); ok && had && r.ListMerge != Replace && r.ListMerge != "" {
			oldList, ok := old.([]any)
			if !ok {
				return nil, fmt.Errorf("key %q is not a list in the file, cannot %s to it", k, r.ListMerge)
			}
			want = mergeLists(oldList, list, r.ListMerge)
		}
		if had && jsondoc.Equal(old, want) {
			continue
		}
		doc.Set(k, want)
		changed = append(changed, k)
	}
	for _, k := range r.Remove {
		if _, set := r.Settings[k]; set {
			return nil, fmt.Errorf("key %q is both set and removed", k)
		}
		if doc.Delete(k) {
			changed = append(changed, k)
		}
	}
	return changed, nil
}

func mergeLists(old, given []any, how ListMerge) []any {
	in := func(list []any, v any) bool {
		for _, x := range list {
			if jsondoc.Equal(x, v) {
				return true
			}
		}
		return false
	}
	var out []any
	if how == Prepend {
		out = append(out, given...)
		for _, v := range old {
			if !in(given, v) {
				out = append(out, v)
			}
		}
		return out
	}
	out = append(out, old...)
	for _, v := range given {
		if !in(out, v) {
			out = append(out, v)
		}
	}
	return out
}
