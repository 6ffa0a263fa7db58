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
	rc := ansible.Execute([]string{"registries_conf", file}, &out, run)
	var res map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), out.String())
	return res, rc
}

func TestRunPasses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registries.conf")
	args := map[string]any{"path": path, "mirror": "zuul-jobs.buildset-registry:5000",
		"namespaces": []string{"docker.io", "quay.io"}, "_ansible_diff": true, "_ansible_check_mode": true}

	res, rc := execute(t, args)
	require.Equal(t, 0, rc, res)
	require.Equal(t, true, res["changed"])
	require.NoFileExists(t, path)
	diff := res["diff"].(map[string]any)
	require.Contains(t, diff["after"], "location = \"zuul-jobs.buildset-registry:5000/quay.io\"")

	args["_ansible_check_mode"] = false
	res, rc = execute(t, args)
	require.Equal(t, 0, rc, res)
	require.Equal(t, true, res["changed"])
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, diff["after"], string(data))
	require.Equal(t, map[string]any{
		"docker.io": []any{"zuul-jobs.buildset-registry:5000", "docker.io"},
		"quay.io":   []any{"zuul-jobs.buildset-registry:5000/quay.io", "quay.io"},
	}, res["mirrors"])
	require.Equal(t, []any{"docker.io"}, res["unqualified_search_registries"])

	res, rc = execute(t, args)
	require.Equal(t, 0, rc, res)
	require.Equal(t, false, res["changed"])
	require.NotContains(t, res, "diff")
}

func TestRunMalformed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registries.conf")
	require.NoError(t, os.WriteFile(path, []byte("[[registry]\n"), 0o644))
	res, rc := execute(t, map[string]any{"path": path, "mirror": "m:5000"})
	require.Equal(t, 1, rc)
	require.Equal(t, true, res["failed"])
	require.Contains(t, res["msg"], path)
	require.Contains(t, res["msg"], "malformed TOML at line 1")
}
