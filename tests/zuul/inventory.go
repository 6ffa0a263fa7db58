package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodeName is the inventory name of the job's one node.
const nodeName = "node"

// jobDirs are the paths of a job dir, laid out as Zuul's executor lays
// them out.
type jobDirs struct {
	Root      string // ZUUL_JOBDIR
	Work      string // zuul.executor.work_root
	Src       string // zuul.executor.src_root
	Logs      string // zuul.executor.log_root
	Results   string // zuul.executor.result_data_file
	Inventory string
	JobOutput string
}

func newJobDirs(root string) jobDirs {
	work := filepath.Join(root, "work")
	return jobDirs{
		Root:      root,
		Work:      work,
		Src:       filepath.Join(work, "src"),
		Logs:      filepath.Join(work, "logs"),
		Results:   filepath.Join(work, "results.json"),
		Inventory: filepath.Join(root, "inventory.yaml"),
		JobOutput: filepath.Join(root, "job-output.txt"),
	}
}

// zuulVars returns the zuul variable of build b, as Zuul's executor
// builds it for a change, a tag or a branch item.
func zuulVars(c *Config, bs *Buildset, b *Build, dirs jobDirs) map[string]any {
	def := bs.Def
	short := def.Project[strings.LastIndex(def.Project, "/")+1:]
	canonical := c.CanonicalHostname + "/" + def.Project
	z := map[string]any{
		"build":    b.UUID,
		"buildset": bs.UUID,
		"pipeline": def.Pipeline,
		"tenant":   c.Tenant,
		"job":      b.Job.Name,
		"project": map[string]any{
			"name":               def.Project,
			"short_name":         short,
			"canonical_hostname": c.CanonicalHostname,
			"canonical_name":     canonical,
			"src_dir":            "src/" + canonical,
		},
		"executor": map[string]any{
			"work_root":        dirs.Work,
			"src_root":         dirs.Src,
			"log_root":         dirs.Logs,
			"result_data_file": dirs.Results,
		},
	}
	switch {
	case def.Change != "":
		n := def.Change
		if len(n) < 2 {
			n = "0" + n
		}
		z["ref"] = fmt.Sprintf("refs/changes/%s/%s/%s", n[len(n)-2:], def.Change, def.Patchset)
		z["change"] = def.Change
		z["patchset"] = def.Patchset
		z["change_url"] = fmt.Sprintf("https://%s/c/%s/+/%s", c.CanonicalHostname, def.Project, def.Change)
	case def.Tag != "":
		z["ref"] = "refs/tags/" + def.Tag
		z["tag"] = def.Tag
	default:
		z["ref"] = "refs/heads/" + def.Branch
	}
	if def.Branch != "" {
		z["branch"] = def.Branch
	}
	if a := artifactsFor(bs, b); len(a) > 0 {
		list := make([]any, len(a))
		for i, e := range a {
			list[i] = e
		}
		z["artifacts"] = list
	}
	return z
}

// jobVars returns every variable of build b, lowest precedence first:
// the buildset's vars, the data its dependencies returned, the job's vars
// (deep-merged over both), then - replacing whole variables - the
// secret_data its dependencies returned, its secrets and zuul. Returned
// data and secrets are marked unsafe.
func jobVars(c *Config, bs *Buildset, b *Build, dirs jobDirs) map[string]any {
	data, secretData := bs.parentData(b)
	vars := mergeVars(bs.Def.Vars, markUnsafe(data).(map[string]any))
	vars = mergeVars(vars, b.Job.Vars)
	for k, v := range secretData {
		vars[k] = markUnsafe(v)
	}
	for k, v := range b.Job.Secrets {
		vars[k] = markUnsafe(v)
	}
	vars["zuul"] = zuulVars(c, bs, b, dirs)
	return vars
}

// nodeVars returns the host vars of the node: the configured ones over the
// interpreter default, and always a local connection.
func nodeVars(c *Config) map[string]any {
	v := mergeVars(map[string]any{"ansible_python_interpreter": "/usr/bin/python3"}, c.Node)
	v["ansible_connection"] = "local"
	return v
}

// inventory returns the inventory of build b: the node, and every variable
// in all.vars (so that set_fact can still override them, unlike extra
// vars). localhost, the executor, is Ansible's implicit localhost: it is in
// no group, so `hosts: all` means the node as under Zuul, and it reads
// all.vars.
func inventory(c *Config, bs *Buildset, b *Build, dirs jobDirs) ([]byte, error) {
	inv := map[string]any{
		"all": map[string]any{
			"hosts": map[string]any{nodeName: nodeVars(c)},
			"vars":  jobVars(c, bs, b, dirs),
		},
	}
	n, err := toNode(inv)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "---\n# Written by tests/zuul for %s/%s: it holds secrets.\n", bs.Def.Name, b.Job.Name)
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// toNode builds the YAML of v with sorted keys, and unsafeString as
// `!unsafe` strings.
func toNode(v any) (*yaml.Node, error) {
	switch t := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vn, err := toNode(t[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, vn)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i, e := range t {
			en, err := toNode(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			n.Content = append(n.Content, en)
		}
		return n, nil
	case []map[string]any:
		list := make([]any, len(t))
		for i, e := range t {
			list[i] = e
		}
		return toNode(list)
	case unsafeString:
		n := &yaml.Node{}
		if err := n.Encode(string(t)); err != nil {
			return nil, err
		}
		n.Tag = "!unsafe"
		if n.Style == 0 || n.Style == yaml.FlowStyle {
			n.Style = yaml.DoubleQuotedStyle
		}
		return n, nil
	default:
		n := &yaml.Node{}
		if err := n.Encode(v); err != nil {
			return nil, err
		}
		return n, nil
	}
}
