package main

import (
	"reflect"
	"slices"
)

// returnedArtifacts returns the artifacts build b of buildset bs returned
// (data.zuul.artifacts), each as Zuul hands it to other jobs: the entry
// as returned plus project, change, patchset (for a change) and job.
// Entries that are not dicts with a string name and url are dropped, as
// Zuul drops them.
func returnedArtifacts(bs *Buildset, b *Build) []map[string]any {
	z, _ := b.Data["zuul"].(map[string]any)
	list, _ := z["artifacts"].([]any)
	var out []map[string]any
	for _, e := range list {
		a, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := a["name"].(string); !ok {
			continue
		}
		if _, ok := a["url"].(string); !ok {
			continue
		}
		if m, ok := a["metadata"]; ok && m != nil {
			if _, ok := m.(map[string]any); !ok {
				continue
			}
		}
		a = without(a)
		a["project"] = bs.Def.Project
		if bs.Def.Change != "" {
			a["change"] = bs.Def.Change
			a["patchset"] = bs.Def.Patchset
		}
		a["job"] = b.Job.Name
		out = append(out, a)
	}
	return out
}

// artifactsFor returns zuul.artifacts for build b of buildset bs: when b
// requires something, the artifacts of the successful builds providing it
// in the buildsets ahead (oldest first), then those of the builds b
// depends on in its own buildset (as Zuul, whether or not b requires
// anything); duplicates once.
func artifactsFor(bs *Buildset, b *Build) []map[string]any {
	var out []map[string]any
	add := func(list []map[string]any) {
		for _, a := range list {
			if !slices.ContainsFunc(out, func(o map[string]any) bool { return reflect.DeepEqual(o, a) }) {
				out = append(out, a)
			}
		}
	}
	if len(b.Job.Requires) > 0 {
		for _, other := range bs.Ahead {
			for _, p := range other.Builds {
				if p.Result == resultSuccess && provides(p.Job, b.Job.Requires) {
					add(returnedArtifacts(other, p))
				}
			}
		}
	}
	for _, p := range bs.ancestors(b) {
		add(returnedArtifacts(bs, p))
	}
	return out
}

// provides tells whether j provides any of requires.
func provides(j *Job, requires []string) bool {
	for _, r := range requires {
		if slices.Contains(j.Provides, r) {
			return true
		}
	}
	return false
}
