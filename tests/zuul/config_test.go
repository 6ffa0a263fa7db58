package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig([]byte(`
jobs:
  - name: base
    pre-run: pre.yaml
    run: run.yaml
    post-run: [post.yaml]
    provides: image
buildsets:
  - name: a-change
    project: org/project
    change: 1001
    jobs: [{name: base}]
  - name: a-tag
    project: org/project
    tag: 1.2.3
    depends-on: a-change
    jobs: [{name: base}]
  - name: a-branch
    project: org/project
    jobs: [{name: base, dependencies: []}]
`))
	require.NoError(t, err)
	require.Equal(t, defaultTenant, c.Tenant)
	require.Equal(t, defaultHostname, c.CanonicalHostname)
	require.Equal(t, stringList{"pre.yaml"}, c.Jobs[0].PreRun, "a single string is a list of one")
	require.Equal(t, stringList{"image"}, c.Jobs[0].Provides)

	change, tag, branch := c.Buildsets[0], c.Buildsets[1], c.Buildsets[2]
	require.Equal(t, "1001", change.Change, "a number is read as Zuul's string")
	require.Equal(t, "1", change.Patchset)
	require.Equal(t, "check", change.Pipeline)
	require.Equal(t, "master", change.Branch)
	require.Equal(t, "tag", tag.Pipeline)
	require.Equal(t, "", tag.Branch, "a tag item has no branch")
	require.Equal(t, stringList{"a-change"}, tag.DependsOn)
	require.Equal(t, "periodic", branch.Pipeline)
	require.Equal(t, "", branch.Change)
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, config, want string
	}{
		{"unknown key", `
jobs: [{name: a, run: r.yaml, timeout: 3}]
buildsets: [{name: b, project: p, jobs: [{name: a}]}]`, "field timeout not found"},
		{"missing parent", `
jobs: [{name: a, parent: nope, run: r.yaml}]
buildsets: [{name: b, project: p, jobs: [{name: a}]}]`, `job "a": parent "nope" is not defined`},
		{"inheritance cycle", `
jobs: [{name: a, parent: b, run: r.yaml}, {name: b, parent: a}]
buildsets: [{name: b, project: p, jobs: [{name: a}]}]`, "inheritance cycle"},
		{"job twice", `
jobs: [{name: a, run: r.yaml}, {name: a, run: r.yaml}]
buildsets: [{name: b, project: p, jobs: [{name: a}]}]`, `job "a" is defined twice`},
		{"depends-on a later buildset", `
jobs: [{name: a, run: r.yaml}]
buildsets:
  - {name: b, project: p, depends-on: [c], jobs: [{name: a}]}
  - {name: c, project: p, jobs: [{name: a}]}`, `depends-on "c": not a buildset defined before this one`},
		{"unknown dependency", `
jobs: [{name: a, run: r.yaml}]
buildsets: [{name: b, project: p, jobs: [{name: a, dependencies: [x]}]}]`, `job "a" depends on "x"`},
		{"dependency cycle", `
jobs: [{name: a, run: r.yaml}, {name: c, run: r.yaml}]
buildsets: [{name: b, project: p, jobs: [{name: a, dependencies: [c]}, {name: c, dependencies: [a]}]}]`, "dependency cycle: a -> c -> a"},
		{"no run playbook", `
jobs: [{name: a, pre-run: [p.yaml]}]
buildsets: [{name: b, project: p, jobs: [{name: a}]}]`, `job "a" has no run playbook`},
		{"no run playbook inline", `
buildsets: [{name: b, project: p, jobs: [{name: x, vars: {v: 1}}]}]`, `job "x" has no run playbook`},
		{"parent on a defined job", `
jobs: [{name: a, run: r.yaml}, {name: c, run: r.yaml}]
buildsets: [{name: b, project: p, jobs: [{name: a, parent: c}]}]`, "a parent is only for jobs defined here"},
		{"inline parent missing", `
buildsets: [{name: b, project: p, jobs: [{name: x, parent: nope, run: r.yaml}]}]`, `job "x": no job "nope"`},
		{"bad expect", `
jobs: [{name: a, run: r.yaml}]
buildsets: [{name: b, project: p, jobs: [{name: a, expect: BROKEN}]}]`, `expect "BROKEN"`},
		{"name with a slash", `
jobs: [{name: a/b, run: r.yaml}]
buildsets: [{name: b, project: p, jobs: [{name: a/b}]}]`, "usable as a directory name"},
		{"buildset twice", `
jobs: [{name: a, run: r.yaml}]
buildsets: [{name: b, project: p, jobs: [{name: a}]}, {name: b, project: p, jobs: [{name: a}]}]`, "defined twice"},
		{"no project", `
jobs: [{name: a, run: r.yaml}]
buildsets: [{name: b, jobs: [{name: a}]}]`, "no project"},
		{"patchset without change", `
jobs: [{name: a, run: r.yaml}]
buildsets: [{name: b, project: p, patchset: 2, jobs: [{name: a}]}]`, "a patchset without a change"},
		{"no buildsets", `
jobs: [{name: a, run: r.yaml}]`, "no buildsets"},
		{"non-string key", `
jobs: [{name: a, run: r.yaml, vars: {m: {1: x}}}]
buildsets: [{name: b, project: p, jobs: [{name: a}]}]`, "only string keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.config))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
