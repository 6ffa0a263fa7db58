package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func buildsetJob(t *testing.T, c *Config, buildset, job string) *BuildsetJob {
	t.Helper()
	for i := range c.Buildsets {
		if c.Buildsets[i].Name != buildset {
			continue
		}
		for j := range c.Buildsets[i].Jobs {
			if c.Buildsets[i].Jobs[j].Name == job {
				return &c.Buildsets[i].Jobs[j]
			}
		}
	}
	t.Fatalf("no job %s in buildset %s", job, buildset)
	return nil
}

// gate/build-image: an inline job whose parent inherits from registry.
func TestFreezeInheritance(t *testing.T) {
	c, err := LoadConfig("testdata/gate.yaml")
	require.NoError(t, err)
	j, err := c.freeze(buildsetJob(t, c, "gate", "build-image"))
	require.NoError(t, err)

	require.Equal(t, []string{"playbooks/registry-pre.yaml", "playbooks/build-pre.yaml"}, j.PreRun, "the parent's pre-run first")
	require.Equal(t, "playbooks/build.yaml", j.Run, "the most specific run")
	require.Equal(t, []string{"playbooks/build-post.yaml", "playbooks/registry-post.yaml"}, j.PostRun, "the child's post-run first")
	require.Equal(t, []string{"docker-image"}, j.Provides)
	require.Equal(t, []string{"docker-image"}, j.Requires, "requires is inherited")
	require.Equal(t, map[string]any{
		"intermediate_registry": map[string]any{"host": "a-job-var-loses-to-the-secret"},
		"deep":                  map[string]any{"a": "registry", "b": "build-image-base", "c": "build-image"},
	}, j.Vars, "vars deep-merged, the child winning")
	require.Equal(t, map[string]any{
		"intermediate_registry": map[string]any{"host": "127.0.0.1", "password": "{{ lookup('env', 'HOME') }}"},
	}, j.Secrets)
	require.Equal(t, []string{"registry"}, j.Dependencies)
	require.Equal(t, resultSuccess, j.Expect)

	// Freezing copies: the definitions are unchanged.
	j.Vars["deep"].(map[string]any)["a"] = "changed"
	require.Equal(t, map[string]any{"a": "registry", "b": "registry"}, c.jobs["registry"].Vars["deep"])
}

// A buildset entry named after a defined job is a variant, applied last.
func TestFreezeVariant(t *testing.T) {
	c, err := ParseConfig([]byte(`
jobs:
  - name: parent
    pre-run: [p-pre.yaml]
    run: p-run.yaml
    post-run: [p-post.yaml]
    requires: [a]
    secrets: {s: {k: parent, other: parent}}
    vars: {v: {x: parent, y: parent}}
  - name: child
    parent: parent
    post-run: [c-post.yaml]
    provides: [b]
    secrets: {s: {k: child}}
    vars: {v: {y: child}}
buildsets:
  - name: bs
    project: p
    jobs:
      - name: child
        pre-run: [variant-pre.yaml]
        post-run: [variant-post.yaml]
        requires: [c]
        vars: {v: {z: variant}}
        expect: FAILURE
`))
	require.NoError(t, err)
	j, err := c.freeze(&c.Buildsets[0].Jobs[0])
	require.NoError(t, err)
	require.Equal(t, []string{"p-pre.yaml", "variant-pre.yaml"}, j.PreRun)
	require.Equal(t, "p-run.yaml", j.Run)
	require.Equal(t, []string{"variant-post.yaml", "c-post.yaml", "p-post.yaml"}, j.PostRun)
	require.Equal(t, []string{"b"}, j.Provides)
	require.Equal(t, []string{"a", "c"}, j.Requires)
	require.Equal(t, map[string]any{"v": map[string]any{"x": "parent", "y": "child", "z": "variant"}}, j.Vars)
	require.Equal(t, map[string]any{"s": map[string]any{"k": "child"}}, j.Secrets, "a secret is replaced whole")
	require.Equal(t, resultFailure, j.Expect)
}
