package ansible

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
)

// Module is what a module's run function knows of the task besides its
// parameters: the modes Ansible asked for, and a place for warnings.
type Module struct {
	Name      string // as written in the task, e.g. gating.containers.docker_auth
	CheckMode bool   // report what would change, change nothing
	DiffMode  bool   // the result's Diff is shown to the user
	Verbosity int    // the number of -v flags
	TmpDir    string // the task's remote temporary directory, if any

	warnings     []string
	deprecations []map[string]string
}

// Warn adds a warning that Ansible prints after the task.
func (m *Module) Warn(format string, args ...any) {
	m.warnings = append(m.warnings, fmt.Sprintf(format, args...))
}

// Deprecate adds a deprecation notice for removal in the given collection version.
func (m *Module) Deprecate(msg, version string) {
	m.deprecations = append(m.deprecations, map[string]string{
		"msg": msg, "version": version, "collection_name": "gating.containers"})
}

// Diff is one before/after pair; Ansible renders it as a unified diff.
type Diff struct {
	Before       string `json:"before"`
	After        string `json:"after"`
	BeforeHeader string `json:"before_header,omitempty"`
	AfterHeader  string `json:"after_header,omitempty"`
}

// Result is what a module reports. Values are the module's own return
// values; they must not use the keys the protocol owns (changed, failed,
// msg, diff, warnings, ...).
type Result struct {
	Changed bool
	Msg     string
	Skipped bool
	Diffs   []Diff
	Facts   map[string]any
	Values  map[string]any
	// Secrets are return values that carry a secret on purpose, such as a
	// generated password in the record consumers need: the no_log masking
	// of the other values skips them. The task returning them should be
	// no_log.
	Secrets map[string]any
}

// SetSecret records a return value that is exempt from no_log masking.
func (r *Result) SetSecret(key string, value any) *Result {
	if r.Secrets == nil {
		r.Secrets = map[string]any{}
	}
	r.Secrets[key] = value
	return r
}

// Set records a return value and returns the result, for chaining.
func (r *Result) Set(key string, value any) *Result {
	if r.Values == nil {
		r.Values = map[string]any{}
	}
	r.Values[key] = value
	return r
}

// RunFunc is a module's body. A non-nil error fails the task with the
// error's text as msg; the Result's values are still returned with it.
type RunFunc[P any] func(m *Module, p *P) (Result, error)

type settings struct {
	noCheckMode bool
}

// Setting changes how Main treats a module.
type Setting func(*settings)

// NoCheckMode declares that the module cannot honour check mode: under
// --check it is skipped instead of run.
func NoCheckMode() Setting { return func(s *settings) { s.noCheckMode = true } }

// Main runs a module the way Ansible invokes binary modules (argv[1] names
// the arguments file; "-" reads them from stdin, as the collection's action
// plugins pass them) and returns the process exit code. Whatever the
// module or its libraries print to stdout is redirected to stderr, so stdout
// carries exactly one JSON object.
func Main[P any](run RunFunc[P], opts ...Setting) int {
	out, restore, err := guardStdout()
	if err != nil {
		out = os.Stdout
		restore = func() {}
	}
	defer restore()
	return Execute(os.Args, out, run, opts...)
}

// Execute is Main without the stdout guard: it reads the arguments file
// named by args[1] (or stdin, for "-"), runs the module, writes one JSON
// object to out and returns 0 on success or 1 on failure.
func Execute[P any](args []string, out io.Writer, run RunFunc[P], opts ...Setting) int {
	return executeFrom(args, os.Stdin, out, run, opts...)
}

func executeFrom[P any](args []string, stdin io.Reader, out io.Writer, run RunFunc[P], opts ...Setting) int {
	res := execute(args, stdin, run, opts)
	b, err := json.Marshal(res)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"failed": true, "msg": "encoding module result: " + err.Error()})
		res = map[string]any{"failed": true}
	}
	b = append(b, '\n')
	_, _ = out.Write(b)
	if failed, _ := res["failed"].(bool); failed {
		return 1
	}
	return 0
}

func execute[P any](argv []string, stdin io.Reader, run RunFunc[P], opts []Setting) (out map[string]any) {
	var s settings
	for _, o := range opts {
		o(&s)
	}
	name := "module"
	if len(argv) > 0 {
		name = strings.TrimPrefix(filepath.Base(argv[0]), "AnsiballZ_")
	}
	if len(argv) != 2 {
		return failure(fmt.Sprintf("usage: %s <arguments file> | -: Ansible passes the task's arguments as a JSON file, "+
			"the collection's action plugins on stdin", name))
	}
	source := argv[1]
	var data []byte
	var err error
	if source == "-" {
		source = "stdin"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(source)
	}
	if err != nil {
		return failure(fmt.Sprintf("reading module arguments from %s: %v", source, err))
	}
	var args map[string]any
	if err := unmarshal(data, &args); err != nil || args == nil {
		return failure(fmt.Sprintf("module arguments in %s are not a JSON object: %v", source, err))
	}
	m := &Module{Name: name}
	if err := m.readInternal(args); err != nil {
		return failure(err.Error())
	}
	var params P
	spec, err := SpecOf(&params)
	if err != nil {
		return failure(fmt.Sprintf("internal error in module %s: %v", name, err))
	}
	secrets := noLogValues(spec, args)
	var exempt map[string]any
	defer func() {
		if p := recover(); p != nil {
			out = failure(fmt.Sprintf("module %s crashed: %v", name, p))
			out["exception"] = string(debug.Stack())
		}
		out = mask(out, secrets).(map[string]any)
		for k, v := range exempt {
			out[k] = v
		}
		out["invocation"] = map[string]any{"module_args": invocation(spec, args)}
	}()
	if err := decode(shortName(name), spec, args, &params); err != nil {
		return failure(err.Error())
	}
	if m.CheckMode && s.noCheckMode {
		return map[string]any{"skipped": true, "changed": false,
			"msg": fmt.Sprintf("remote module (%s) does not support check mode", shortName(name))}
	}
	res, runErr := run(m, &params)
	exempt = res.Secrets
	return m.render(res, runErr)
}

func (m *Module) readInternal(args map[string]any) error {
	var errs []error
	flag := func(key string, dst *bool) {
		if v, ok := args[key]; ok && v != nil {
			b, ok := toBool(v)
			if !ok {
				errs = append(errs, fmt.Errorf("internal argument %s is not a boolean: %v", key, v))
			}
			*dst = b
		}
	}
	flag("_ansible_check_mode", &m.CheckMode)
	flag("_ansible_diff", &m.DiffMode)
	if v, ok := args["_ansible_verbosity"].(json.Number); ok {
		n, _ := v.Int64()
		m.Verbosity = int(n)
	}
	if v, ok := args["_ansible_module_name"].(string); ok && v != "" {
		m.Name = v
	}
	if v, ok := args["_ansible_tmpdir"].(string); ok {
		m.TmpDir = v
	}
	return errors.Join(errs...)
}

func (m *Module) render(res Result, runErr error) map[string]any {
	out := map[string]any{}
	for k, v := range res.Values {
		out[k] = v
	}
	out["changed"] = res.Changed
	if res.Msg != "" {
		out["msg"] = res.Msg
	}
	if res.Skipped {
		out["skipped"] = true
	}
	if len(res.Diffs) > 0 && m.DiffMode {
		if len(res.Diffs) == 1 {
			out["diff"] = res.Diffs[0]
		} else {
			out["diff"] = res.Diffs
		}
	}
	if len(res.Facts) > 0 {
		out["ansible_facts"] = res.Facts
	}
	if len(m.warnings) > 0 {
		out["warnings"] = m.warnings
	}
	if len(m.deprecations) > 0 {
		out["deprecations"] = m.deprecations
	}
	if runErr != nil {
		out["failed"] = true
		out["msg"] = runErr.Error()
	}
	return out
}

func failure(msg string) map[string]any {
	return map[string]any{"failed": true, "changed": false, "msg": msg}
}

// shortName turns gating.containers.docker_auth into docker_auth.
func shortName(name string) string {
	return name[strings.LastIndex(name, ".")+1:]
}

// NoLogPlaceholder replaces the value of a no_log option wherever it would be echoed.
const NoLogPlaceholder = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

// noLogValues collects the text of every no_log argument, as given.
func noLogValues(spec Spec, args map[string]any) []string {
	var secrets []string
	for _, o := range spec {
		if !o.NoLog {
			continue
		}
		collectStrings(args[o.Name], &secrets)
	}
	// Longest first, so a secret containing another is masked whole.
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	return secrets
}

func collectStrings(v any, dst *[]string) {
	switch x := v.(type) {
	case string:
		if x != "" {
			*dst = append(*dst, x)
		}
	case json.Number:
		*dst = append(*dst, x.String())
	case []any:
		for _, e := range x {
			collectStrings(e, dst)
		}
	case map[string]any:
		for _, e := range x {
			collectStrings(e, dst)
		}
	}
}

// invocation echoes the user's arguments (not the internal ones), with
// no_log values replaced.
func invocation(spec Spec, args map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range args {
		if strings.HasPrefix(k, "_ansible_") {
			continue
		}
		out[k] = v
	}
	for _, o := range spec {
		if o.NoLog {
			if _, ok := out[o.Name]; ok {
				out[o.Name] = NoLogPlaceholder
			}
		}
	}
	return out
}

// mask replaces every occurrence of a secret in the strings of v.
func mask(v any, secrets []string) any {
	if len(secrets) == 0 {
		return v
	}
	switch x := v.(type) {
	case string:
		for _, s := range secrets {
			x = strings.ReplaceAll(x, s, "********")
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = mask(e, secrets)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = mask(e, secrets)
		}
		return x
	case nil, bool, int, int64, float64, json.Number:
		return x
	}
	// Typed values (structs, typed slices): mask through their JSON form.
	b, err := json.Marshal(v)
	if err != nil || !containsAny(b, secrets) {
		return v
	}
	var generic any
	if unmarshal(b, &generic) != nil {
		return v
	}
	return mask(generic, secrets)
}

func containsAny(b []byte, secrets []string) bool {
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
		if js, _ := json.Marshal(s); bytes.Contains(b, js[1:len(js)-1]) {
			return true
		}
	}
	return false
}
