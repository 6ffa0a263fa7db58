package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/ansible/doccheck"
	"github.com/stretchr/testify/require"
)

func TestDocs(t *testing.T) { doccheck.Check(t, params{}) }

const (
	registry = "zuul-jobs.buildset-registry:5000"
	password = "n3w:Pass-word"
)

// execute runs the module as Ansible does, on an args file, and returns
// its raw output and the decoded result.
func execute(t *testing.T, args map[string]any) (string, map[string]any) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "args")
	data, err := json.Marshal(args)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, data, 0o600))
	var out bytes.Buffer
	ansible.Execute([]string{"AnsiballZ_docker_auth", file}, &out, run)
	var res map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), out.String())
	return out.String(), res
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// Neither the password nor the base64 of any credentials - new, old, or
// another registry's - appears anywhere in the module's output, in any pass.
func TestRunSecretsNeverInOutput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	old := `{"auths": {"` + registry + `": {"auth": "` + b64("zuul:old-pass") + `", "identitytoken": "old-refresh-token"},` +
		` "quay.io": {"auth": "` + b64("quayuser:quaypass") + `"}}}`
	require.NoError(t, os.WriteFile(path, []byte(old), 0o600))
	secrets := []string{password, b64("zuul:" + password), b64(password), b64("zuul:old-pass"), "old-refresh-token",
		b64("quayuser:quaypass"), "quaypass", "old-pass"}

	passes := []struct {
		name    string
		state   string
		check   bool
		changed bool
	}{
		{"check", "present", true, true},
		{"real", "present", false, true},
		{"repeat", "present", false, false},
		{"repeat in check mode", "present", true, false},
		{"absent in check mode", "absent", true, true},
		{"absent", "absent", false, true},
	}
	for _, p := range passes {
		t.Run(p.name, func(t *testing.T) {
			raw, res := execute(t, map[string]any{
				"path": path, "registry": registry, "username": "zuul", "password": password, "state": p.state,
				"_ansible_diff": true, "_ansible_check_mode": p.check,
			})
			require.Nil(t, res["failed"], raw)
			require.Equal(t, p.changed, res["changed"], raw)
			require.Equal(t, path, res["path"])
			require.Equal(t, registry, res["registry"])
			for _, s := range secrets {
				require.NotContains(t, raw, s)
			}
			if !p.changed {
				require.NotContains(t, res, "diff")
				return
			}
			diff := res["diff"].(map[string]any)
			require.Contains(t, diff["before"], `"auth": "********"`)
			require.Contains(t, diff["before"], `"quay.io"`)
			if p.state == "present" {
				require.Contains(t, diff["after"], `"auth": "******** (changed)"`)
			} else {
				require.NotContains(t, diff["after"], registry)
			}
		})
	}
}

func TestRunRequiresCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	for _, tt := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"path": path, "registry": registry}, "state is present but all of the following are missing: username, password"},
		{map[string]any{"path": path, "registry": registry, "username": "zuul"}, "missing: password"},
		{map[string]any{"path": path, "registry": registry, "password": password}, "missing: username"},
		{map[string]any{"path": path, "username": "zuul", "password": password}, "missing required arguments: registry"},
	} {
		raw, res := execute(t, tt.args)
		require.Equal(t, true, res["failed"], raw)
		require.Contains(t, res["msg"], tt.want)
		require.NotContains(t, raw, password)
		_, err := os.Stat(path)
		require.ErrorIs(t, err, os.ErrNotExist)
	}
}

func TestRunWarnsAboutCredentialHelpers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"credsStore": "desktop"}`), 0o600))
	raw, res := execute(t, map[string]any{"path": path, "registry": registry, "username": "zuul", "password": password})
	require.Equal(t, true, res["changed"], raw)
	warnings := res["warnings"].([]any)
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0], `credential helper "desktop" (credsStore)`)
	require.Contains(t, warnings[0], registry)
	require.Contains(t, warnings[0], path)

	_, res = execute(t, map[string]any{"path": path, "registry": "other:5000", "state": "absent"})
	require.Contains(t, res["warnings"].([]any)[0], "does not remove credentials the helper holds")
}

func TestRunMalformedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	content := `{"auths": {"` + registry + `": {"auth": "` + b64("zuul:old-pass") + `"}`
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	raw, res := execute(t, map[string]any{"path": path, "registry": registry, "username": "zuul", "password": password,
		"_ansible_diff": true})
	require.Equal(t, true, res["failed"], raw)
	require.Contains(t, res["msg"], path)
	require.Contains(t, res["msg"], "malformed JSON")
	require.NotContains(t, raw, b64("zuul:old-pass"))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, content, string(data))
}
