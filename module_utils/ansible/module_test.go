package ansible

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type testParams struct {
	Name     string            `ansible:"name,required"`
	Count    int               `ansible:"count" default:"3"`
	Enabled  bool              `ansible:"enabled" default:"no"`
	State    string            `ansible:"state" default:"present" choices:"present,absent"`
	Items    []string          `ansible:"items" default:"a,b"`
	Labels   map[string]string `ansible:"labels"`
	Settings map[string]any    `ansible:"settings" default:"{}"`
	Dest     string            `ansible:"dest" type:"path"`
	Password string            `ansible:"password,no_log"`
	Ratio    *float64          `ansible:"ratio"`
	Anything any               `ansible:"anything"`
}

// echo returns its parameters, so tests can see what the module received.
func echo(m *Module, p *testParams) (Result, error) {
	var r Result
	r.Set("params", *p)
	r.Set("check_mode", m.CheckMode)
	return r, nil
}

// execute runs a module on args and returns its exit code and its one JSON
// object, failing the test when stdout holds anything else.
func runModule[P any](t *testing.T, run RunFunc[P], args map[string]any, opts ...Setting) (int, map[string]any) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "args")
	b, err := json.Marshal(args)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	var out bytes.Buffer
	code := Execute([]string{"/tmp/AnsiballZ_testmod", path}, &out, run, opts...)
	return code, oneObject(t, out.Bytes())
}

func oneObject(t *testing.T, out []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(out))
	var res map[string]any
	require.NoError(t, d.Decode(&res), "stdout: %q", out)
	_, err := d.Token()
	require.ErrorIs(t, err, io.EOF, "stdout holds more than one JSON object: %q", out)
	return res
}

func TestExecuteDefaults(t *testing.T) {
	code, res := runModule(t, echo, map[string]any{"name": "x"})
	require.Equal(t, 0, code)
	require.Equal(t, false, res["changed"])
	p := res["params"].(map[string]any)
	require.Equal(t, "x", p["Name"])
	require.EqualValues(t, 3, p["Count"])
	require.Equal(t, false, p["Enabled"])
	require.Equal(t, "present", p["State"])
	require.Equal(t, []any{"a", "b"}, p["Items"])
	require.Equal(t, map[string]any{}, p["Settings"])
	require.Nil(t, p["Ratio"])
}

func TestExecuteLooseBooleans(t *testing.T) {
	for _, v := range []any{true, "yes", "on", "1", 1, "true", "True", "Y", "t"} {
		_, res := runModule(t, echo, map[string]any{"name": "x", "enabled": v})
		require.Equal(t, true, res["params"].(map[string]any)["Enabled"], "value %#v", v)
	}
	for _, v := range []any{false, "no", "off", "0", 0, "false", "N", "f"} {
		_, res := runModule(t, echo, map[string]any{"name": "x", "enabled": v})
		require.Equal(t, false, res["params"].(map[string]any)["Enabled"], "value %#v", v)
	}
}

func TestExecuteConversions(t *testing.T) {
	home, err := os.UserHomeDir()
	require.NoError(t, err)
	_, res := runModule(t, echo, map[string]any{
		"name": 42, "count": "7", "items": []any{"x", 1}, "labels": `{"a": "b"}`,
		"dest": "~/x", "ratio": "0.5", "anything": []any{1, "two"},
	})
	p := res["params"].(map[string]any)
	require.Equal(t, "42", p["Name"])
	require.EqualValues(t, 7, p["Count"])
	require.Equal(t, []any{"x", "1"}, p["Items"])
	require.Equal(t, map[string]any{"a": "b"}, p["Labels"])
	require.Equal(t, home+"/x", p["Dest"])
	require.EqualValues(t, 0.5, p["Ratio"])
	require.Equal(t, []any{float64(1), "two"}, p["Anything"])
}

func TestExecuteRejects(t *testing.T) {
	cases := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"unknown", map[string]any{"name": "x", "no_such_option": 1, "other": 2},
			[]string{"Unsupported parameters for (testmod) module: no_such_option, other.",
				"Supported parameters include: anything, count, dest, enabled, items, labels, name, password, ratio, settings, state."}},
		{"missing", map[string]any{}, []string{"missing required arguments: name"}},
		{"null is missing", map[string]any{"name": nil}, []string{"missing required arguments: name"}},
		{"int", map[string]any{"name": "x", "count": "many"},
			[]string{"argument 'count' is of type str and we were unable to convert to int", `"many" is not a number`}},
		{"fraction", map[string]any{"name": "x", "count": 1.5}, []string{"argument 'count'", "1.5 is not an integer"}},
		{"bool", map[string]any{"name": "x", "enabled": "maybe"}, []string{"argument 'enabled'", `"maybe" is not a valid boolean`}},
		{"list", map[string]any{"name": "x", "items": map[string]any{"a": 1}}, []string{"argument 'items' is of type dict", "list of str"}},
		{"dict", map[string]any{"name": "x", "labels": "a=b"}, []string{"argument 'labels' is of type str", "not a dict"}},
		{"dict value", map[string]any{"name": "x", "labels": map[string]any{"a": []any{}}}, []string{"argument 'labels'", `key "a"`}},
		{"choice", map[string]any{"name": "x", "state": "gone"}, []string{"value of state must be one of: present, absent, got: gone"}},
		{"all at once", map[string]any{"bogus": 1, "count": "x"},
			[]string{"Unsupported parameters", "argument 'count'", "missing required arguments: name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			called := false
			code, res := runModule(t, func(m *Module, p *testParams) (Result, error) {
				called = true
				return Result{}, nil
			}, c.args)
			require.Equal(t, 1, code)
			require.False(t, called, "the module must not run on bad arguments")
			require.Equal(t, true, res["failed"])
			for _, w := range c.want {
				require.Contains(t, res["msg"], w)
			}
		})
	}
}

func TestExecuteNoLogMasked(t *testing.T) {
	code, res := runModule(t, func(m *Module, p *testParams) (Result, error) {
		m.Warn("logging in with %s", p.Password)
		var r Result
		r.Set("echo", "token="+p.Password)
		r.Diffs = []Diff{{Before: "", After: p.Password}}
		return r, fmt.Errorf("login failed for password %s", p.Password)
	}, map[string]any{"name": "x", "password": "s3cr:et", "_ansible_diff": true})
	require.Equal(t, 1, code)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	require.NotContains(t, string(b), "s3cr:et")
	require.Equal(t, NoLogPlaceholder, res["invocation"].(map[string]any)["module_args"].(map[string]any)["password"])
	require.Equal(t, "x", res["invocation"].(map[string]any)["module_args"].(map[string]any)["name"])
	require.Equal(t, "token=********", res["echo"])
	require.Equal(t, "login failed for password ********", res["msg"])
	require.Equal(t, []any{"logging in with ********"}, res["warnings"])
	require.Equal(t, "********", res["diff"].(map[string]any)["after"])
}

func TestExecuteSecretsAreNotMasked(t *testing.T) {
	_, res := runModule(t, func(m *Module, p *testParams) (Result, error) {
		var r Result
		r.SetSecret("record", map[string]any{"password": p.Password})
		r.Set("other", p.Password)
		return r, nil
	}, map[string]any{"name": "x", "password": "given-pw"})
	require.Equal(t, map[string]any{"password": "given-pw"}, res["record"])
	require.Equal(t, "********", res["other"])
}

func TestExecuteCheckMode(t *testing.T) {
	_, res := runModule(t, echo, map[string]any{"name": "x", "_ansible_check_mode": true})
	require.Equal(t, true, res["check_mode"])

	called := false
	code, res := runModule(t, func(m *Module, p *testParams) (Result, error) {
		called = true
		return Result{Changed: true}, nil
	}, map[string]any{"name": "x", "_ansible_check_mode": true}, NoCheckMode())
	require.Equal(t, 0, code)
	require.False(t, called)
	require.Equal(t, true, res["skipped"])
	require.Equal(t, false, res["changed"])
	require.Contains(t, res["msg"], "does not support check mode")
}

func TestExecuteDiffOnlyInDiffMode(t *testing.T) {
	run := func(m *Module, p *testParams) (Result, error) {
		return Result{Changed: true, Diffs: []Diff{{Before: "a\n", After: "b\n", BeforeHeader: "f"}}}, nil
	}
	_, res := runModule(t, run, map[string]any{"name": "x"})
	require.NotContains(t, res, "diff")
	_, res = runModule(t, run, map[string]any{"name": "x", "_ansible_diff": "yes"})
	require.Equal(t, map[string]any{"before": "a\n", "after": "b\n", "before_header": "f"}, res["diff"])
	require.Equal(t, true, res["changed"])
}

func TestExecuteWarningsFactsAndInternalKeys(t *testing.T) {
	code, res := runModule(t, func(m *Module, p *testParams) (Result, error) {
		m.Warn("first")
		m.Warn("second %d", 2)
		m.Deprecate("option x", "2.0.0")
		require.Equal(t, "gating.containers.thing", m.Name)
		require.Equal(t, 3, m.Verbosity)
		return Result{Facts: map[string]any{"gating_fact": 1}, Msg: "done"}, nil
	}, map[string]any{"name": "x", "_ansible_verbosity": 3, "_ansible_module_name": "gating.containers.thing",
		"_ansible_future_key": "ignored"})
	require.Equal(t, 0, code)
	require.Equal(t, []any{"first", "second 2"}, res["warnings"])
	require.Equal(t, []any{map[string]any{"msg": "option x", "version": "2.0.0", "collection_name": "gating.containers"}}, res["deprecations"])
	require.Equal(t, map[string]any{"gating_fact": float64(1)}, res["ansible_facts"])
	require.Equal(t, "done", res["msg"])
	require.NotContains(t, res["invocation"].(map[string]any)["module_args"], "_ansible_verbosity")
}

func TestExecuteErrorKeepsValues(t *testing.T) {
	code, res := runModule(t, func(m *Module, p *testParams) (Result, error) {
		var r Result
		r.Set("path", "/etc/x")
		return r, errors.New("editing /etc/x: malformed")
	}, map[string]any{"name": "x"})
	require.Equal(t, 1, code)
	require.Equal(t, true, res["failed"])
	require.Equal(t, "editing /etc/x: malformed", res["msg"])
	require.Equal(t, "/etc/x", res["path"])
}

func TestExecutePanicBecomesFailure(t *testing.T) {
	code, res := runModule(t, func(m *Module, p *testParams) (Result, error) {
		var nilMap map[string]int
		nilMap["boom"] = 1
		return Result{}, nil
	}, map[string]any{"name": "x", "password": "hunter22"})
	require.Equal(t, 1, code)
	require.Equal(t, true, res["failed"])
	require.Contains(t, res["msg"], "module testmod crashed: assignment to entry in nil map")
	require.Contains(t, res["exception"], "goroutine")
	require.NotContains(t, res["exception"], "hunter22")
}

func TestExecuteArgumentsOnStdin(t *testing.T) {
	args := `{"name": "web", "_ansible_check_mode": true, "_ansible_module_name": "gating.containers.testmod"}`
	var out bytes.Buffer
	code := executeFrom([]string{"AnsiballZ_testmod", "-"}, strings.NewReader(args), &out, echo)
	require.Equal(t, 0, code)
	res := oneObject(t, out.Bytes())
	require.Equal(t, "web", res["params"].(map[string]any)["Name"])
	require.Equal(t, true, res["check_mode"])

	out.Reset()
	code = executeFrom([]string{"AnsiballZ_testmod", "-"}, strings.NewReader(`{"name": `), &out, echo)
	require.Equal(t, 1, code)
	require.Contains(t, oneObject(t, out.Bytes())["msg"], "module arguments in stdin are not a JSON object")
}

func TestExecuteBadInvocation(t *testing.T) {
	var out bytes.Buffer
	require.Equal(t, 1, Execute([]string{"AnsiballZ_testmod"}, &out, echo))
	require.Contains(t, oneObject(t, out.Bytes())["msg"], "usage: testmod <arguments file>")

	out.Reset()
	require.Equal(t, 1, Execute([]string{"m", filepath.Join(t.TempDir(), "missing")}, &out, echo))
	require.Contains(t, oneObject(t, out.Bytes())["msg"], "reading module arguments")

	path := filepath.Join(t.TempDir(), "args")
	require.NoError(t, os.WriteFile(path, []byte(`["not", "an object"]`), 0o600))
	out.Reset()
	require.Equal(t, 1, Execute([]string{"m", path}, &out, echo))
	require.Contains(t, oneObject(t, out.Bytes())["msg"], "not a JSON object")
}

func TestSpecOfRejectsBadDeclarations(t *testing.T) {
	cases := map[string]any{
		"flag": struct {
			A string `ansible:"a,secret"`
		}{},
		"duplicate": struct {
			A string `ansible:"a"`
			B string `ansible:"a"`
		}{},
		"required default": struct {
			A string `ansible:"a,required" default:"x"`
		}{},
		"default not a choice": struct {
			A string `ansible:"a" default:"x" choices:"y,z"`
		}{},
		"bad default": struct {
			A int `ansible:"a" default:"many"`
		}{},
		"type": struct {
			A chan int `ansible:"a"`
		}{},
		"path on int": struct {
			A int `ansible:"a" type:"path"`
		}{},
	}
	for name, params := range cases {
		_, err := SpecOf(params)
		require.Error(t, err, name)
	}
	_, err := SpecOf(42)
	require.Error(t, err)
}

// The stdout guard is a property of the process, so it is tested in a
// child process running this test binary as a module.
func TestMainGuardsStdout(t *testing.T) {
	for _, mode := range []string{"print", "panic"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "args")
			require.NoError(t, os.WriteFile(path, []byte(`{"name": "x"}`), 0o600))
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "GATING_TEST_MODULE="+mode, "GATING_TEST_ARGS="+path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			res := oneObject(t, stdout.Bytes())
			require.Contains(t, stderr.String(), "stray output")
			if mode == "print" {
				require.NoError(t, err)
				require.Equal(t, true, res["changed"])
				return
			}
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit)
			require.Equal(t, 1, exit.ExitCode())
			require.Equal(t, true, res["failed"])
			require.Contains(t, res["msg"], "crashed: kaboom")
			require.Contains(t, res["exception"], "goroutine")
		})
	}
}

func TestMain(m *testing.M) {
	if mode := os.Getenv("GATING_TEST_MODULE"); mode != "" {
		os.Args = []string{"AnsiballZ_testmod", os.Getenv("GATING_TEST_ARGS")}
		os.Exit(Main(func(m *Module, p *testParams) (Result, error) {
			fmt.Println("stray output")
			if mode == "panic" {
				panic("kaboom")
			}
			return Result{Changed: true}, nil
		}))
	}
	os.Exit(m.Run())
}
