package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/ansible/doccheck"
	"github.com/gating/containers/module_utils/registryd"
	"github.com/stretchr/testify/require"
)

// The test binary is the module binary of these tests: started as
// `<binary> serve --config <file>` by the module, it is the registry.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == serveCommand {
		os.Exit(serve(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func TestDocs(t *testing.T) { doccheck.Check(t, params{}) }

// execute runs the module on args, as Ansible would, and returns its result.
func execute(t *testing.T, args map[string]any) map[string]any {
	t.Helper()
	path := filepath.Join(t.TempDir(), "args")
	b, err := json.Marshal(args)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	var out bytes.Buffer
	ansible.Execute([]string{"AnsiballZ_buildset_registry", path}, &out, run)
	var res map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), "%s", out.Bytes())
	return res
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func record(t *testing.T, res map[string]any) map[string]any {
	t.Helper()
	rec, ok := res["buildset_registry"].(map[string]any)
	require.True(t, ok, "no buildset_registry in %v", res)
	return rec
}

// get asks the registry at 127.0.0.1:port for path, trusting only ca.
func get(t *testing.T, ca string, port int, path string) (*http.Response, error) {
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM([]byte(ca)))
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
	resp, err := c.Get("https://127.0.0.1:" + strconv.Itoa(port) + path)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestProcessLifecycle(t *testing.T) {
	root := filepath.Join(t.TempDir(), "registry")
	port := freePort(t)
	args := map[string]any{"root": root, "host": "127.0.0.1", "port": port, "listen": []string{"127.0.0.1"}, "timeout": 30}
	t.Cleanup(func() { execute(t, map[string]any{"root": root, "state": "stopped"}) })
	check := func(extra map[string]any) map[string]any {
		a := map[string]any{"_ansible_check_mode": true}
		for k, v := range args {
			a[k] = v
		}
		for k, v := range extra {
			a[k] = v
		}
		return execute(t, a)
	}

	// check mode on nothing: a change, and nothing made
	res := check(nil)
	require.Nil(t, res["failed"], res["msg"])
	require.Equal(t, true, res["changed"])
	require.Contains(t, res["msg"], "would be started")
	require.Equal(t, "", record(t, res)["password"], "no password exists yet")
	require.NoDirExists(t, root)

	// real
	res = execute(t, args)
	require.Nil(t, res["failed"], res["msg"])
	require.Equal(t, true, res["changed"])
	rec := record(t, res)
	require.Len(t, rec, 5)
	require.Equal(t, "127.0.0.1", rec["host"])
	require.EqualValues(t, port, rec["port"])
	require.Equal(t, "zuul", rec["username"])
	password := rec["password"].(string)
	require.Len(t, password, 20)
	require.Empty(t, strings.Trim(password, passwordAlphabet))
	ca := rec["cert"].(string)
	require.True(t, strings.HasPrefix(ca, "-----BEGIN CERTIFICATE-----"))
	pid := int(res["pid"].(float64))
	require.Positive(t, pid)
	resp, err := get(t, ca, port, "/v2/")
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	fi, err := os.Stat(filepath.Join(root, confFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	conf, err := registryd.Load(filepath.Join(root, confFile))
	require.NoError(t, err)
	require.Equal(t, password, conf.Users[0].Password)
	data, err := os.ReadFile(filepath.Join(root, pidFile))
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(pid)+"\n", string(data))

	// repeat, and repeat in check mode: nothing changes
	for _, again := range []map[string]any{execute(t, args), check(nil)} {
		require.Nil(t, again["failed"], again["msg"])
		require.Equal(t, false, again["changed"], again["msg"])
		require.Equal(t, rec, record(t, again), "same password, same CA")
		require.EqualValues(t, pid, again["pid"])
	}

	// a new binary (replaced on disk) restarts the registry, keeping the credentials
	bin := filepath.Join(root, binFile)
	data, err = os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin+".new", append(data, 0), 0o755))
	require.NoError(t, os.Rename(bin+".new", bin))
	res = check(nil)
	require.Equal(t, true, res["changed"])
	require.Contains(t, res["msg"], "binary")
	res = execute(t, args)
	require.Nil(t, res["failed"], res["msg"])
	require.Equal(t, true, res["changed"])
	require.Equal(t, rec, record(t, res))
	require.NotEqual(t, float64(pid), res["pid"])
	require.Equal(t, "", exeOf(pid), "the old registry is gone")
	pid = int(res["pid"].(float64))

	// a given password is used; the record is the one place that carries it
	res = execute(t, map[string]any{"root": root, "host": "127.0.0.1", "port": port, "listen": []string{"127.0.0.1"},
		"password": "given:pass"})
	require.Nil(t, res["failed"], res["msg"])
	require.Equal(t, true, res["changed"])
	require.Equal(t, "given:pass", record(t, res)["password"])
	delete(res, "buildset_registry")
	b, err := json.Marshal(res)
	require.NoError(t, err)
	require.NotContains(t, string(b), "given:pass")
	conf, err = registryd.Load(filepath.Join(root, confFile))
	require.NoError(t, err)
	require.Equal(t, "given:pass", conf.Users[0].Password)
	newPid := int(res["pid"].(float64))

	// stopped: check mode, real, repeat
	stop := map[string]any{"root": root, "state": "stopped"}
	res = execute(t, map[string]any{"root": root, "state": "stopped", "_ansible_check_mode": true})
	require.Equal(t, true, res["changed"])
	require.NotEmpty(t, exeOf(newPid), "check mode stops nothing")
	res = execute(t, stop)
	require.Nil(t, res["failed"], res["msg"])
	require.Equal(t, true, res["changed"])
	require.Equal(t, "", exeOf(newPid))
	require.NoFileExists(t, filepath.Join(root, pidFile))
	_, err = get(t, ca, port, "/v2/")
	require.Error(t, err)
	res = execute(t, stop)
	require.Equal(t, false, res["changed"])

	// started again: the kept password and CA come back
	res = execute(t, args)
	require.Nil(t, res["failed"], res["msg"])
	require.Equal(t, "given:pass", func() string {
		c, err := registryd.Load(filepath.Join(root, confFile))
		require.NoError(t, err)
		return c.Users[0].Password
	}())
	require.Equal(t, ca, record(t, res)["cert"])
}

func TestStartFailureQuotesTheLog(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	root := t.TempDir()
	res := execute(t, map[string]any{"root": root, "host": "127.0.0.1", "port": port, "listen": []string{"127.0.0.1"}, "timeout": 20})
	require.Equal(t, true, res["failed"])
	require.Contains(t, res["msg"], "exited")
	require.Contains(t, res["msg"], "last lines of "+filepath.Join(root, logFile))
	require.Contains(t, res["msg"], "address already in use")
}

func TestSecondRegistryBesideTheFirst(t *testing.T) {
	type running struct {
		port int
		ca   string
	}
	var all []running
	for i := 0; i < 2; i++ {
		root := filepath.Join(t.TempDir(), "r")
		port := freePort(t)
		t.Cleanup(func() { execute(t, map[string]any{"root": root, "state": "stopped"}) })
		res := execute(t, map[string]any{"root": root, "host": "::1", "port": port, "listen": []string{"::1", "127.0.0.1"}})
		require.Nil(t, res["failed"], res["msg"])
		all = append(all, running{port, record(t, res)["cert"].(string)})
		for _, r := range all {
			resp, err := get(t, r.ca, r.port, "/v2/")
			require.NoError(t, err)
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		}
	}
	require.NotEqual(t, all[0].ca, all[1].ca, "each root has its own CA")
}

func TestArgumentErrors(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"root": root}, "host is required when state is started"},
		{map[string]any{"root": root, "host": "127.0.0.1", "port": 70000}, "port 70000"},
		{map[string]any{"root": root, "host": "127.0.0.1", "timeout": 0}, "timeout 0"},
		{map[string]any{"root": root, "host": "127.0.0.1", "listen": []string{"localhost"}}, `listen address "localhost"`},
		{map[string]any{"root": root, "host": "127.0.0.1", "listen": []string{}}, "listen: give at least one address"},
		{map[string]any{"root": root, "host": "not a host", "_ansible_check_mode": true}, `host "not a host"`},
		{map[string]any{"root": root, "host": "127.0.0.1", "username": "a:b", "password": "x", "_ansible_check_mode": true},
			`user "a:b": the name may not contain ':'`},
		{map[string]any{"root": root, "state": "gone"}, "value of state must be one of: started, stopped"},
	} {
		res := execute(t, tc.args)
		require.Equal(t, true, res["failed"], "%v", tc.args)
		require.Contains(t, res["msg"], tc.want)
	}
}

func TestNewPassword(t *testing.T) {
	seen := map[rune]bool{}
	prev := ""
	for i := 0; i < 2000; i++ {
		p := newPassword()
		require.Len(t, p, passwordLength)
		require.NotEqual(t, prev, p)
		prev = p
		for _, r := range p {
			require.True(t, strings.ContainsRune(passwordAlphabet, r), "%q is not in the alphabet", r)
			seen[r] = true
		}
	}
	require.Len(t, seen, len(passwordAlphabet), "every character is drawn")
}

func TestDeploymentNames(t *testing.T) {
	base := params{State: "started", Root: "/r", Host: "[2001:db8::1]", Port: 5000, Listen: []string{"::"},
		Username: "zuul", ContainerCommand: "docker", Timeout: 60}
	d, err := newDeployment(&base)
	require.NoError(t, err)
	c := d.rt.(*container)
	require.Equal(t, "buildset_registry", c.name)
	require.Regexp(t, `^localhost/gating/buildset-registry:[0-9a-f]{12}$`, c.image)
	require.Equal(t, d.exeSum[:12], strings.TrimPrefix(c.image, "localhost/gating/buildset-registry:"))
	require.Equal(t, "2001:db8::1", d.host, "brackets are dropped")
	require.Equal(t, "127.0.0.1:5000", d.probeAddress())
	cfg := d.config("pw", registryd.NewSecret())
	require.Equal(t, "/tls", cfg.TLSDir)
	require.Equal(t, "/storage", cfg.StorageDir)
	require.NoError(t, cfg.Validate())

	p9 := base
	p9.Port, p9.Listen = 9000, []string{"::1"}
	d, err = newDeployment(&p9)
	require.NoError(t, err)
	require.Equal(t, "buildset_registry_9000", d.rt.(*container).name)
	require.Equal(t, "[::1]:9000", d.probeAddress())

	named := base
	named.ContainerName = "mine"
	d, err = newDeployment(&named)
	require.NoError(t, err)
	require.Equal(t, "mine", d.rt.(*container).name)

	proc := base
	proc.ContainerCommand = "none"
	d, err = newDeployment(&proc)
	require.NoError(t, err)
	cfg = d.config("pw", registryd.NewSecret())
	require.Equal(t, "/r/tls", cfg.TLSDir)
	require.Equal(t, "/r/storage", cfg.StorageDir)
	require.Nil(t, d.other)
}

func TestServeCommand(t *testing.T) {
	var stderr bytes.Buffer
	require.Equal(t, 2, serveWith(nil, &stderr, nil))
	require.Contains(t, stderr.String(), "usage: buildset_registry serve --config <file>")

	stderr.Reset()
	require.Equal(t, 1, serveWith([]string{"--config", filepath.Join(t.TempDir(), "none.json")}, &stderr, nil))
	require.Contains(t, stderr.String(), "reading registry configuration")
}

func TestServeStopsOnSIGTERM(t *testing.T) {
	root := t.TempDir()
	port := freePort(t)
	res := execute(t, map[string]any{"root": root, "host": "127.0.0.1", "port": port, "listen": []string{"127.0.0.1"}})
	require.Nil(t, res["failed"], res["msg"])
	pid := int(res["pid"].(float64))
	require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
	deadline := time.Now().Add(15 * time.Second)
	for exeOf(pid) != "" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	require.Equal(t, "", exeOf(pid), "the registry exits on SIGTERM")
	log, err := os.ReadFile(filepath.Join(root, logFile))
	require.NoError(t, err)
	require.Contains(t, string(log), "msg=stopped")
}
