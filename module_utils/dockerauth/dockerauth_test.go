package dockerauth

import (
	"encoding/base64"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	buildset = "zuul-jobs.buildset-registry:5000"
	// The password contains ':' on purpose: clients split "auth" at the
	// first ':' only.
	password = "pa:ss:w0rd-XYZ"
)

var zuul = Credentials{Registry: buildset, Username: "zuul", Password: password}

// seed copies testdata/<name> to dir/<file> with mode perm and returns its path.
func seed(t *testing.T, dir, name, file string, perm fs.FileMode) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	path := filepath.Join(dir, file)
	require.NoError(t, os.WriteFile(path, data, perm))
	require.NoError(t, os.Chmod(path, perm))
	return path
}

// golden compares got with testdata/<name>, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "output differs from %s (rerun with -update to accept)", path)
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Sys().(*syscall.Stat_t).Ino
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func TestAddGolden(t *testing.T) {
	tests := []struct {
		name   string
		input  string // testdata file to start from; "" for no file
		creds  Credentials
		golden string
	}{
		{name: "fresh file", creds: zuul, golden: "fresh.golden.json"},
		{name: "empty file", input: "empty.json", creds: zuul, golden: "fresh.golden.json"},
		{name: "existing config keeps the rest", input: "existing.json", creds: zuul, golden: "add-existing.golden.json"},
		{
			name: "registry key kept as given", input: "existing.json",
			creds:  Credentials{Registry: "https://index.docker.io/v1/", Username: "hubuser", Password: "new-hub-pass"},
			golden: "update-hub.golden.json",
		},
		{name: "changed password replaces auth and drops tokens", input: "update.json", creds: zuul, golden: "update.golden.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			if tt.input != "" {
				path = seed(t, dir, tt.input, "config.json", 0o600)
			}
			e, err := Add(path, tt.creds, false)
			require.NoError(t, err)
			require.True(t, e.Changed)
			require.Equal(t, tt.input != "", e.Existed)
			require.Equal(t, path, e.Path)
			got := readFile(t, path)
			require.Equal(t, string(e.After), string(got))
			golden(t, tt.golden, got)
			want := base64.StdEncoding.EncodeToString([]byte(tt.creds.Username + ":" + tt.creds.Password))
			require.Contains(t, string(got), `"auth": "`+want+`"`)
		})
	}
}

// Adding an entry and removing it again gives back a docker-written file
// byte for byte: nothing else was touched.
func TestAddRemoveRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := seed(t, dir, "existing.json", "config.json", 0o600)
	original := readFile(t, path)
	_, err := Add(path, zuul, false)
	require.NoError(t, err)
	require.NotEqual(t, string(original), string(readFile(t, path)))
	e, err := Remove(path, buildset, false)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.Equal(t, string(original), string(readFile(t, path)))
}

func TestAddSameCredentialsNoWrite(t *testing.T) {
	dir := t.TempDir()
	path := seed(t, dir, "update.golden.json", "config.json", 0o600)
	before := readFile(t, path)
	ino := inode(t, path)
	for _, check := range []bool{false, true} {
		e, err := Add(path, zuul, check)
		require.NoError(t, err)
		require.False(t, e.Changed, "check=%v", check)
		require.Equal(t, ino, inode(t, path), "the file was replaced")
		require.Equal(t, string(before), string(readFile(t, path)))
	}
}

func TestAddCheckModeWritesNothing(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "home", ".docker", "config.json")
	e, err := Add(fresh, zuul, true)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.False(t, e.Existed)
	require.Contains(t, string(e.After), zuul.Auth())
	_, err = os.Stat(filepath.Join(dir, "home"))
	require.ErrorIs(t, err, fs.ErrNotExist, "check mode created the directory")

	path := seed(t, dir, "existing.json", "config.json", 0o600)
	original := readFile(t, path)
	e, err = Add(path, zuul, true)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.Equal(t, string(original), string(readFile(t, path)))
	e, err = Remove(path, "quay.io", true)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.Equal(t, string(original), string(readFile(t, path)))
}

func TestAddPasswordWithColon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.json")
	_, err := Add(path, zuul, false)
	require.NoError(t, err)
	doc := readFile(t, path)
	i := strings.Index(string(doc), `"auth": "`)
	require.GreaterOrEqual(t, i, 0)
	rest := string(doc)[i+len(`"auth": "`):]
	raw, err := base64.StdEncoding.DecodeString(rest[:strings.IndexByte(rest, '"')])
	require.NoError(t, err)
	user, pass, _ := strings.Cut(string(raw), ":") // as docker's decodeAuth and zuul-registry split it
	require.Equal(t, "zuul", user)
	require.Equal(t, password, pass)
}

func TestAddInvalidCredentials(t *testing.T) {
	tests := []struct {
		name  string
		creds Credentials
		want  string
	}{
		{"no registry", Credentials{Username: "zuul", Password: password}, "registry is empty"},
		{"no username", Credentials{Registry: buildset, Password: password}, "username is empty"},
		{"colon in username", Credentials{Registry: buildset, Username: "zu:ul", Password: password}, `"zu:ul" contains ':'`},
		{"no password", Credentials{Registry: buildset, Username: "zuul"}, "password is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sub", "config.json")
			_, err := Add(path, tt.creds, false)
			require.ErrorContains(t, err, tt.want)
			require.ErrorContains(t, err, path)
			require.NotContains(t, err.Error(), password)
			_, err = os.Stat(filepath.Join(dir, "sub"))
			require.ErrorIs(t, err, fs.ErrNotExist)
		})
	}
}

func TestRemove(t *testing.T) {
	tests := []struct {
		name     string
		input    string // "" for no file
		registry string
		changed  bool
		golden   string // when changed
	}{
		{name: "entry with tokens", input: "update.json", registry: buildset, changed: true, golden: "remove.golden.json"},
		{name: "hub entry", input: "existing.json", registry: "https://index.docker.io/v1/", changed: true, golden: "remove-hub.golden.json"},
		{name: "key must match exactly", input: "existing.json", registry: "index.docker.io"},
		{name: "no such entry", input: "existing.json", registry: buildset},
		{name: "no auths", input: "noauths.json", registry: buildset},
		{name: "empty file", input: "empty.json", registry: buildset},
		{name: "no file", registry: buildset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			var before []byte
			if tt.input != "" {
				path = seed(t, dir, tt.input, "config.json", 0o600)
				before = readFile(t, path)
			}
			e, err := Remove(path, tt.registry, false)
			require.NoError(t, err)
			require.Equal(t, tt.changed, e.Changed)
			if tt.input == "" {
				_, err := os.Stat(path)
				require.ErrorIs(t, err, fs.ErrNotExist, "removing created the file")
				return
			}
			got := readFile(t, path)
			if !tt.changed {
				require.Equal(t, string(before), string(got))
				return
			}
			golden(t, tt.golden, got)
			require.NotContains(t, string(got), `"`+tt.registry+`"`)
		})
	}
}

func TestMalformedFileUntouched(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"truncated", "", "malformed JSON at line"},
		{"not an object", "[]\n", "not an object"},
		{"auths not an object", `{"auths": ["x"]}` + "\n", `"auths" is not an object`},
		{"entry not an object", `{"auths": {"` + buildset + `": "x"}}` + "\n", `entry of "` + buildset + `" is not an object`},
		{"duplicate key", `{"auths": {}, "auths": {}}` + "\n", `duplicate key "auths"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var path string
			if tt.content == "" {
				path = seed(t, dir, "malformed.json", "config.json", 0o600)
			} else {
				path = filepath.Join(dir, "config.json")
				require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			}
			before := readFile(t, path)
			ino := inode(t, path)
			_, err := Add(path, zuul, false)
			require.ErrorContains(t, err, path)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), password)
			if tt.name != "entry not an object" { // removing a bad entry is fine
				_, err = Remove(path, buildset, false)
				require.ErrorContains(t, err, path)
			}
			require.Equal(t, string(before), string(readFile(t, path)))
			require.Equal(t, ino, inode(t, path))
		})
	}
}

func TestAddThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := seed(t, dir, "existing.json", "real.json", 0o640)
	link := filepath.Join(dir, "config.json")
	require.NoError(t, os.Symlink("real.json", link))
	e, err := Add(link, zuul, false)
	require.NoError(t, err)
	require.True(t, e.Changed)
	require.Equal(t, target, e.Path)
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	require.NotZero(t, fi.Mode()&fs.ModeSymlink, "the link was replaced by a file")
	dest, err := os.Readlink(link)
	require.NoError(t, err)
	require.Equal(t, "real.json", dest)
	golden(t, "add-existing.golden.json", readFile(t, target))
	fi, err = os.Stat(target)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o640), fi.Mode().Perm())
}

func TestAddModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()

	fresh := filepath.Join(dir, "home", ".docker", "config.json")
	_, err := Add(fresh, zuul, false)
	require.NoError(t, err)
	for path, want := range map[string]fs.FileMode{
		fresh:                      0o600,
		filepath.Dir(fresh):        0o700,
		filepath.Join(dir, "home"): 0o700,
	} {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, want, fi.Mode().Perm(), path)
	}

	// An existing file and directory keep their modes.
	shared := filepath.Join(dir, "shared")
	require.NoError(t, os.Mkdir(shared, 0o755))
	existing := seed(t, shared, "existing.json", "config.json", 0o644)
	_, err = Add(existing, zuul, false)
	require.NoError(t, err)
	for path, want := range map[string]fs.FileMode{existing: 0o644, shared: 0o755} {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, want, fi.Mode().Perm(), path)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
}
