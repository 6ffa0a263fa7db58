package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration file: the jobs, the node, the optional
// teardown playbook and the buildsets to run, in order. README.md documents
// every key.
type Config struct {
	Tenant            string         `yaml:"tenant"`
	CanonicalHostname string         `yaml:"canonical-hostname"`
	Jobs              []JobDef       `yaml:"jobs"`
	Node              map[string]any `yaml:"node"`
	Teardown          string         `yaml:"teardown"`
	Buildsets         []BuildsetDef  `yaml:"buildsets"`

	jobs map[string]*JobDef // by name, filled by validate
}

// JobDef is one job definition, as in a Zuul `- job:` stanza.
type JobDef struct {
	Name     string         `yaml:"name"`
	Parent   string         `yaml:"parent"`
	PreRun   stringList     `yaml:"pre-run"`
	Run      string         `yaml:"run"`
	PostRun  stringList     `yaml:"post-run"`
	Provides stringList     `yaml:"provides"`
	Requires stringList     `yaml:"requires"`
	Vars     map[string]any `yaml:"vars"`
	Secrets  map[string]any `yaml:"secrets"`
}

// BuildsetJob is a job of a buildset: a job defined under `jobs` (then the
// entry is a variant of it: its vars, playbooks and secrets apply on top),
// or a job defined right here (then it may name a parent).
type BuildsetJob struct {
	JobDef       `yaml:",inline"`
	Dependencies stringList `yaml:"dependencies"`
	Expect       string     `yaml:"expect"`
}

// BuildsetDef is one queue item (a change, or a ref without a change) and
// the jobs Zuul would run for it.
type BuildsetDef struct {
	Name      string         `yaml:"name"`
	Project   string         `yaml:"project"`
	Branch    string         `yaml:"branch"`
	Change    string         `yaml:"change"`
	Patchset  string         `yaml:"patchset"`
	Pipeline  string         `yaml:"pipeline"`
	Tag       string         `yaml:"tag"`
	DependsOn stringList     `yaml:"depends-on"`
	Vars      map[string]any `yaml:"vars"`
	Jobs      []BuildsetJob  `yaml:"jobs"`
}

// stringList accepts a YAML list of strings or a single string, as Zuul
// does for pre-run, post-run, provides, requires and dependencies.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var s string
		if err := n.Decode(&s); err != nil {
			return err
		}
		*l = stringList{s}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// results are the results a buildset entry may expect.
var results = []string{resultSuccess, resultFailure, resultPreFailure, resultPostFailure, resultTimedOut, resultSkipped}

const (
	defaultTenant   = "example-tenant"
	defaultHostname = "review.example.org"
)

// LoadConfig reads and validates a configuration file. Unknown keys are
// errors: a misspelt key would otherwise silently change nothing.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes and validates a configuration.
func ParseConfig(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) validate() error {
	if c.Tenant == "" {
		c.Tenant = defaultTenant
	}
	if c.CanonicalHostname == "" {
		c.CanonicalHostname = defaultHostname
	}
	var err error
	if c.Node, err = normalizeMap(c.Node); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	c.jobs = make(map[string]*JobDef)
	for i := range c.Jobs {
		j := &c.Jobs[i]
		if err := j.normalize(); err != nil {
			return err
		}
		if _, dup := c.jobs[j.Name]; dup {
			return fmt.Errorf("job %q is defined twice", j.Name)
		}
		c.jobs[j.Name] = j
	}
	for name := range c.jobs {
		if _, err := c.chain(name); err != nil {
			return err
		}
	}
	if len(c.Buildsets) == 0 {
		return errors.New("no buildsets")
	}
	seen := make(map[string]bool)
	for i := range c.Buildsets {
		bs := &c.Buildsets[i]
		if err := c.validateBuildset(bs, seen); err != nil {
			return fmt.Errorf("buildset %q: %w", bs.Name, err)
		}
		seen[bs.Name] = true
	}
	return nil
}

func (j *JobDef) normalize() error {
	if err := checkName(j.Name); err != nil {
		return fmt.Errorf("job name: %w", err)
	}
	var err error
	if j.Vars, err = normalizeMap(j.Vars); err != nil {
		return fmt.Errorf("job %q: vars: %w", j.Name, err)
	}
	if j.Secrets, err = normalizeMap(j.Secrets); err != nil {
		return fmt.Errorf("job %q: secrets: %w", j.Name, err)
	}
	return nil
}

func (c *Config) validateBuildset(bs *BuildsetDef, earlier map[string]bool) error {
	if err := checkName(bs.Name); err != nil {
		return err
	}
	if earlier[bs.Name] {
		return errors.New("defined twice")
	}
	if bs.Project == "" {
		return errors.New("no project")
	}
	if bs.Change == "" && bs.Patchset != "" {
		return errors.New("a patchset without a change")
	}
	if bs.Change != "" && bs.Patchset == "" {
		bs.Patchset = "1"
	}
	if bs.Branch == "" && bs.Tag == "" {
		bs.Branch = "master"
	}
	if bs.Pipeline == "" {
		switch {
		case bs.Change != "":
			bs.Pipeline = "check"
		case bs.Tag != "":
			bs.Pipeline = "tag"
		default:
			bs.Pipeline = "periodic"
		}
	}
	for _, d := range bs.DependsOn {
		if !earlier[d] {
			return fmt.Errorf("depends-on %q: not a buildset defined before this one", d)
		}
	}
	var err error
	if bs.Vars, err = normalizeMap(bs.Vars); err != nil {
		return fmt.Errorf("vars: %w", err)
	}
	if len(bs.Jobs) == 0 {
		return errors.New("no jobs")
	}
	names := make(map[string]bool)
	for i := range bs.Jobs {
		j := &bs.Jobs[i]
		if err := j.normalize(); err != nil {
			return err
		}
		if names[j.Name] {
			return fmt.Errorf("job %q is listed twice", j.Name)
		}
		names[j.Name] = true
		if _, global := c.jobs[j.Name]; global && j.Parent != "" {
			return fmt.Errorf("job %q: a parent is only for jobs defined here, and %q is defined under jobs", j.Name, j.Name)
		}
		if j.Expect != "" && !slices.Contains(results, j.Expect) {
			return fmt.Errorf("job %q: expect %q: not one of %s", j.Name, j.Expect, strings.Join(results, ", "))
		}
		frozen, err := c.freeze(j)
		if err != nil {
			return err
		}
		if frozen.Run == "" {
			return fmt.Errorf("job %q has no run playbook (nor has any parent)", j.Name)
		}
	}
	for _, j := range bs.Jobs {
		for _, d := range j.Dependencies {
			if !names[d] {
				return fmt.Errorf("job %q depends on %q, which is not a job of this buildset", j.Name, d)
			}
		}
	}
	if _, err := jobOrder(bs.Jobs); err != nil {
		return err
	}
	return nil
}

// checkName refuses names that would not make a single directory name.
func checkName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || filepath.Base(name) != name {
		return fmt.Errorf("%q: a name must be usable as a directory name", name)
	}
	return nil
}

// jobOrder checks that the dependencies form no cycle and returns the jobs
// in an order where every job comes after its dependencies (config order
// among equals).
func jobOrder(jobs []BuildsetJob) ([]string, error) {
	deps := make(map[string][]string, len(jobs))
	for _, j := range jobs {
		deps[j.Name] = j.Dependencies
	}
	var order []string
	state := make(map[string]int) // 1 visiting, 2 done
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("dependency cycle: %s", strings.Join(append(path, name), " -> "))
		case 2:
			return nil
		}
		state[name] = 1
		for _, d := range deps[name] {
			if err := visit(d, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	for _, j := range jobs {
		if err := visit(j.Name, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// normalizeMap makes YAML-decoded data JSON-compatible (string keys all the
// way down), so that it can be merged, written as YAML and reported as JSON.
func normalizeMap(m map[string]any) (map[string]any, error) {
	if m == nil {
		return map[string]any{}, nil
	}
	v, err := normalize(m)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func normalize(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			n, err := normalize(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = n
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("key %v: only string keys are supported", k)
			}
			n, err := normalize(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ks, err)
			}
			out[ks] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			n, err := normalize(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = n
		}
		return out, nil
	default:
		return v, nil
	}
}
