//go:build smoke

// Package smoke runs every built module binary the way Ansible runs a
// binary module - `<binary> <args-file>` - and checks the protocol: one
// JSON object on stdout, exit 0 or 1, bad arguments named. Run it after
// `make build` (make smoke does both).
package smoke

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const top = "../.."

func modules(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(top, "modules"))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	require.NotEmpty(t, names)
	return names
}

// run executes a module binary with args (nil: no args file at all) and
// returns its exit code and its single JSON object.
func run(t *testing.T, binary string, args map[string]any) (int, map[string]any) {
	t.Helper()
	argv := []string{}
	if args != nil {
		b, err := json.Marshal(args)
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "args")
		require.NoError(t, os.WriteFile(path, b, 0o600))
		argv = append(argv, path)
	}
	cmd := exec.Command(binary, argv...)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	d := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
	var res map[string]any
	require.NoError(t, d.Decode(&res), "%s: stdout %q stderr %q", binary, stdout.String(), stderr.String())
	_, err = d.Token()
	require.ErrorIs(t, err, io.EOF, "%s: more than one JSON object on stdout: %q", binary, stdout.String())
	return code, res
}

func TestEveryModuleSpeaksTheProtocol(t *testing.T) {
	for _, name := range modules(t) {
		t.Run(name, func(t *testing.T) {
			binary, err := filepath.Abs(filepath.Join(top, "plugins", "modules", name))
			require.NoError(t, err)
			fi, err := os.Stat(binary)
			require.NoError(t, err, "run `make build` first")
			t.Logf("%s: %d bytes", name, fi.Size())

			code, res := run(t, binary, map[string]any{"no_such_option": 1, "_ansible_module_name": name})
			require.Equal(t, 1, code)
			require.Equal(t, true, res["failed"])
			require.Contains(t, res["msg"], "Unsupported parameters for ("+name+") module: no_such_option.")
			require.Contains(t, res["msg"], "Supported parameters include:")

			code, res = run(t, binary, nil)
			require.Equal(t, 1, code)
			require.Contains(t, res["msg"], "usage:")
		})
	}
}

func TestEveryModuleIsStaticAndStripped(t *testing.T) {
	for _, name := range modules(t) {
		f, err := elf.Open(filepath.Join(top, "plugins", "modules", name))
		require.NoError(t, err, name)
		for _, p := range f.Progs {
			require.NotEqual(t, elf.PT_INTERP, p.Type, "%s is dynamically linked", name)
		}
		require.Nil(t, f.Section(".symtab"), "%s is not stripped", name)
		f.Close()
	}
}

func TestEveryModuleHasDocsTestsAndTarget(t *testing.T) {
	for _, name := range modules(t) {
		for _, path := range []string{
			filepath.Join("plugins", "modules", name+".yml"),
			filepath.Join("modules", name, "main_test.go"),
			filepath.Join("tests", "integration", "targets", name, "tasks", "main.yml"),
			filepath.Join("tests", "integration", "targets", name, "aliases"),
		} {
			_, err := os.Stat(filepath.Join(top, path))
			require.NoError(t, err, "module %s needs %s", name, path)
		}
	}
}
