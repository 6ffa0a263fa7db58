//go:build smoke

// Package smoke runs every built module binary the way Ansible runs a
// binary module - `<binary> <args-file>` - and the way the collection's
// action plugins do - `<binary> -` with the arguments on stdin - and checks
// the protocol: one JSON object on stdout, exit 0 or 1, bad arguments named.
// The arm64 builds run under qemu-aarch64-static. It also checks that the
// collection tarball carries every build, its sha256 and its action plugin.
// Run it after `make collection` (make smoke does both).
package smoke

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// How a module receives its arguments.
const (
	argsFile  = iota // argv[1] names a file, as Ansible does
	argsStdin        // argv[1] is "-", the JSON on stdin, as the action plugins do
	argsNone         // no arguments at all
)

// run executes a module binary (through qemu, if given) and returns its
// exit code and its single JSON object.
func run(t *testing.T, qemu, binary string, how int, args map[string]any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(args)
	require.NoError(t, err)
	argv := []string{binary}
	if qemu != "" {
		argv = append([]string{qemu}, argv...)
	}
	var stdin io.Reader
	switch how {
	case argsFile:
		path := filepath.Join(t.TempDir(), "args")
		require.NoError(t, os.WriteFile(path, b, 0o600))
		argv = append(argv, path)
	case argsStdin:
		argv = append(argv, "-")
		stdin = bytes.NewReader(b)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = stdin
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
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

// builds maps each platform to where its binaries are, and the ELF machine
// they must be built for.
var builds = []struct {
	platform string
	dir      string // relative to plugins/
	machine  elf.Machine
}{
	{"linux_amd64", "modules", elf.EM_X86_64},
	{"linux_arm64", "bin/linux_arm64", elf.EM_AARCH64},
}

func TestEveryModuleSpeaksTheProtocol(t *testing.T) {
	qemu, err := exec.LookPath("qemu-aarch64-static")
	require.NoError(t, err, "the arm64 builds run under qemu-aarch64-static (apt-get install qemu-user-static)")
	for _, b := range builds {
		for _, name := range modules(t) {
			t.Run(b.platform+"/"+name, func(t *testing.T) {
				binary, err := filepath.Abs(filepath.Join(top, "plugins", b.dir, name))
				require.NoError(t, err)
				fi, err := os.Stat(binary)
				require.NoError(t, err, "run `make build` first")
				t.Logf("%s: %d bytes", name, fi.Size())
				via := ""
				if b.machine == elf.EM_AARCH64 {
					via = qemu
				}

				for _, how := range []int{argsFile, argsStdin} {
					code, res := run(t, via, binary, how, map[string]any{"no_such_option": 1, "_ansible_module_name": name})
					require.Equal(t, 1, code)
					require.Equal(t, true, res["failed"])
					require.Contains(t, res["msg"], "Unsupported parameters for ("+name+") module: no_such_option.")
					require.Contains(t, res["msg"], "Supported parameters include:")
				}

				code, res := run(t, via, binary, argsNone, nil)
				require.Equal(t, 1, code)
				require.Contains(t, res["msg"], "usage:")
			})
		}
	}
}

func TestEveryModuleIsStaticAndStripped(t *testing.T) {
	for _, b := range builds {
		for _, name := range modules(t) {
			path := filepath.Join(top, "plugins", b.dir, name)
			f, err := elf.Open(path)
			require.NoError(t, err, path)
			require.Equal(t, b.machine, f.Machine, "%s is built for %s", path, f.Machine)
			for _, p := range f.Progs {
				require.NotEqual(t, elf.PT_INTERP, p.Type, "%s is dynamically linked", path)
			}
			require.Nil(t, f.Section(".symtab"), "%s is not stripped", path)
			f.Close()
		}
	}
}

// The tarball users install carries, for every module, its docs, its action
// plugin, every build, and the sha256 list the action plugin checks them by.
func TestTarballCarriesEveryBuild(t *testing.T) {
	tarballs, err := filepath.Glob(filepath.Join(top, "dist", "gating-containers-*.tar.gz"))
	require.NoError(t, err)
	require.Len(t, tarballs, 1, "run `make collection` first (and keep one tarball in dist/)")
	f, err := os.Open(tarballs[0])
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			require.NoError(t, err)
			files[h.Name] = b
		}
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(files["plugins/bin/SHA256SUMS"])), "\n") {
		fields := strings.Fields(line)
		require.Len(t, fields, 2, "plugins/bin/SHA256SUMS: %q", line)
		sums[fields[1]] = fields[0]
	}
	for _, name := range modules(t) {
		require.Contains(t, files, "plugins/modules/"+name+".yml")
		require.Contains(t, string(files["plugins/action/"+name+".py"]), "plugin_utils.go_module import ActionModule")
		for _, b := range builds {
			rel := b.dir + "/" + name
			data, ok := files["plugins/"+rel]
			require.True(t, ok, "the tarball lacks plugins/%s", rel)
			sum := sha256.Sum256(data)
			require.Equal(t, hex.EncodeToString(sum[:]), sums[rel], "plugins/%s and SHA256SUMS disagree", rel)
		}
	}
	require.Contains(t, files, "plugins/plugin_utils/go_module.py")
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
