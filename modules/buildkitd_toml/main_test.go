package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/ansible/doccheck"
	"github.com/stretchr/testify/require"
)

func TestDocs(t *testing.T) { doccheck.Check(t, params{}) }

// execute runs the module the way Ansible does and returns its result.
func execute(t *testing.T, args map[string]any) (map[string]any, int) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "args")
	data, err := json.Marshal(args)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, data, 0o600))
	var out bytes.Buffer
	rc := ansible.Execute([]string{"buildkitd_toml", file}, &out, run)
	var res map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), out.String())
	return res, rc
}

func TestRunPasses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "buildkitd.toml")
	args := map[string]any{"path": path, "mirror": "zuul-jobs.buildset-registry:5000",
		"namespaces": []string{"docker.io", "quay.io"}, "ca_file": "/etc/ca.crt",
		"_ansible_diff": true, "_ansible_check_mode": true}

	res, rc := execute(t, args)
	require.Equal(t, 0, rc, res)
	require.Equal(t, true, res["changed"])
	require.NoFileExists(t, path)
	diff := res["diff"].(map[string]any)
	require.Contains(t, diff["after"], "[registry.\"zuul-jobs.buildset-registry:5000\"]\nca = [\"/etc/ca.crt\"]\n")

	args["_ansible_check_mode"] = false
	res, rc = execute(t, args)
	require.Equal(t, 0, rc, res)
	require.Equal(t, true, res["changed"])
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, diff["after"], string(data))
	require.Equal(t, map[string]any{
		"docker.io": []any{"zuul-jobs.buildset-registry:5000"},
		"quay.io":   []any{"zuul-jobs.buildset-registry:5000/quay.io"},
	}, res["mirrors"])
	require.Equal(t, []any{"/etc/ca.crt"}, res["ca"])

	res, rc = execute(t, args)
	require.Equal(t, 0, rc, res)
	require.Equal(t, false, res["changed"])
	require.NotContains(t, res, "diff")
}

func TestRunMirrorWithScheme(t *testing.T) {
	res, rc := execute(t, map[string]any{"path": filepath.Join(t.TempDir(), "b.toml"), "mirror": "https://m:5000"})
	require.Equal(t, 1, rc)
	require.Contains(t, res["msg"], "without a scheme")
}
