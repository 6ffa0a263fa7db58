package main

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// lookup returns the node at path in a mapping node.
func lookup(t *testing.T, n *yaml.Node, path ...string) *yaml.Node {
	t.Helper()
	for _, key := range path {
		require.Equal(t, yaml.MappingNode, n.Kind, "looking up %s", key)
		var found *yaml.Node
		for i := 0; i < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				found = n.Content[i+1]
			}
		}
		require.NotNil(t, found, "no %s in %v", key, path)
		n = found
	}
	return n
}

func TestInventory(t *testing.T) {
	c, err := ParseConfig([]byte(`
canonical-hostname: git.example.com
node: {ansible_host: 192.0.2.1, ansible_connection: ssh}
jobs:
  - name: registry
    run: run.yaml
  - name: test
    run: run.yaml
    secrets: {creds: {password: "{{ not templated }}"}}
    vars:
      layer: job
      deep: {a: job}
      creds: {password: a job var loses to the secret}
      from_secret_data: a job var loses to secret_data
buildsets:
  - name: bs
    project: org/sub/project
    vars:
      layer: buildset
      deep: {a: buildset, b: buildset}
      only_buildset: x
    jobs:
      - name: registry
      - name: test
        dependencies: [registry]
`))
	require.NoError(t, err)
	bs, err := newBuildset(c, &c.Buildsets[0], nil)
	require.NoError(t, err)
	registry, test := bs.Builds[0], bs.Builds[1]
	registry.state, registry.Result = done, resultSuccess
	registry.Data = map[string]any{
		"zuul":        map[string]any{"pause": true},
		"layer":       "parent data beats buildset vars",
		"deep":        map[string]any{"b": "parent", "c": "{{ parent }}"},
		"only_parent": int64(5000),
	}
	registry.SecretData = map[string]any{
		"buildset_registry": map[string]any{"host": "192.0.2.1", "port": int64(5000), "password": "p{{w"},
		"from_secret_data":  "secret data",
	}
	test.UUID = newUUID()
	dirs := newJobDirs("/work/bs/test")

	out, err := inventory(c, bs, test, dirs)
	require.NoError(t, err)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(out, &doc))
	root := doc.Content[0]

	// The one node: configured vars, but always a local connection.
	var hosts map[string]map[string]any
	require.NoError(t, lookup(t, root, "all", "hosts").Decode(&hosts))
	require.Equal(t, map[string]map[string]any{nodeName: {
		"ansible_host":               "192.0.2.1",
		"ansible_connection":         "local",
		"ansible_python_interpreter": "/usr/bin/python3",
	}}, hosts)

	vars := lookup(t, root, "all", "vars")
	var v map[string]any
	require.NoError(t, vars.Decode(&v))
	require.Equal(t, "job", v["layer"], "job vars beat parent data")
	require.Equal(t, map[string]any{"a": "job", "b": "parent", "c": "{{ parent }}"}, v["deep"], "deep-merged: buildset < parent data < job")
	require.Equal(t, "x", v["only_buildset"])
	require.Equal(t, 5000, v["only_parent"], "numbers stay numbers")
	require.Equal(t, "secret data", v["from_secret_data"], "secret_data beats job vars")
	require.Equal(t, map[string]any{"password": "{{ not templated }}"}, v["creds"], "secrets beat job vars, whole")
	require.Equal(t, map[string]any{"host": "192.0.2.1", "port": 5000, "password": "p{{w"}, v["buildset_registry"])

	// Secrets and returned data are !unsafe; job and buildset vars are not.
	require.Equal(t, "!unsafe", lookup(t, vars, "creds", "password").Tag)
	require.Equal(t, "!unsafe", lookup(t, vars, "buildset_registry", "password").Tag)
	require.Equal(t, "!!int", lookup(t, vars, "buildset_registry", "port").Tag)
	require.Equal(t, "!unsafe", lookup(t, vars, "deep", "c").Tag)
	require.Equal(t, "!!str", lookup(t, vars, "deep", "a").Tag)
	require.Equal(t, "!!str", lookup(t, vars, "only_buildset").Tag)

	// zuul, for an item without a change.
	z := v["zuul"].(map[string]any)
	require.Equal(t, map[string]any{
		"build":    test.UUID,
		"buildset": bs.UUID,
		"pipeline": "periodic",
		"tenant":   defaultTenant,
		"job":      "test",
		"branch":   "master",
		"ref":      "refs/heads/master",
		"project": map[string]any{
			"name":               "org/sub/project",
			"short_name":         "project",
			"canonical_hostname": "git.example.com",
			"canonical_name":     "git.example.com/org/sub/project",
			"src_dir":            "src/git.example.com/org/sub/project",
		},
		"executor": map[string]any{
			"work_root":        "/work/bs/test/work",
			"src_root":         "/work/bs/test/work/src",
			"log_root":         "/work/bs/test/work/logs",
			"result_data_file": "/work/bs/test/work/results.json",
		},
	}, z, "no change, patchset, change_url, tag, nor artifacts when there are none")
	require.Regexp(t, "^[0-9a-f]{32}$", test.UUID)
	require.NotEqual(t, test.UUID, bs.UUID)
}

func TestZuulVarsChange(t *testing.T) {
	c, err := ParseConfig([]byte(`
jobs: [{name: j, run: r.yaml}]
buildsets:
  - {name: bs, project: org/project, change: 7, patchset: 3, pipeline: gate, jobs: [{name: j}]}
`))
	require.NoError(t, err)
	bs, err := newBuildset(c, &c.Buildsets[0], nil)
	require.NoError(t, err)
	z := zuulVars(c, bs, bs.Builds[0], newJobDirs("/w"))
	require.Equal(t, "7", z["change"])
	require.Equal(t, "3", z["patchset"])
	require.Equal(t, "gate", z["pipeline"])
	require.Equal(t, "refs/changes/07/7/3", z["ref"])
	require.Equal(t, "https://review.example.org/c/org/project/+/7", z["change_url"])
	require.NotContains(t, z, "tag")
}
