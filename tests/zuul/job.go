package main

import (
	"fmt"
	"slices"
)

// Job is a job as it runs: its definition with its parents' folded in, the
// way Zuul freezes a job before running it.
type Job struct {
	Name         string
	PreRun       []string // the root ancestor's first
	Run          string   // the most specific definition's
	PostRun      []string // the job's own first, the root ancestor's last
	Provides     []string
	Requires     []string
	Vars         map[string]any // deep-merged, the most specific wins
	Secrets      map[string]any // by secret name, the most specific wins
	Dependencies []string
	Expect       string
}

// chain returns the definitions from the root ancestor down to the job
// named name, all of them defined under `jobs`.
func (c *Config) chain(name string) ([]*JobDef, error) {
	var chain []*JobDef
	seen := make(map[string]bool)
	child := ""
	for n := name; n != ""; {
		if seen[n] {
			return nil, fmt.Errorf("job %q: inheritance cycle through %q", name, n)
		}
		seen[n] = true
		j, ok := c.jobs[n]
		if !ok {
			if child == "" {
				return nil, fmt.Errorf("no job %q", n)
			}
			return nil, fmt.Errorf("job %q: parent %q is not defined", child, n)
		}
		chain = append(chain, j)
		child, n = n, j.Parent
	}
	slices.Reverse(chain)
	return chain, nil
}

// freeze folds a buildset entry and the definitions it inherits from into
// one Job. An entry named after a job of `jobs` is a variant of it, applied
// last; any other entry is a job of its own, with its parent's chain above.
func (c *Config) freeze(e *BuildsetJob) (*Job, error) {
	var defs []*JobDef
	var err error
	switch _, global := c.jobs[e.Name]; {
	case global:
		defs, err = c.chain(e.Name)
	case e.Parent != "":
		defs, err = c.chain(e.Parent)
		if err != nil {
			err = fmt.Errorf("job %q: %w", e.Name, err)
		}
	}
	if err != nil {
		return nil, err
	}
	defs = append(defs, &e.JobDef)
	job := &Job{
		Name:         e.Name,
		Vars:         map[string]any{},
		Secrets:      map[string]any{},
		Dependencies: slices.Clone(e.Dependencies),
		Expect:       e.Expect,
	}
	if job.Expect == "" {
		job.Expect = resultSuccess
	}
	for _, d := range defs {
		job.PreRun = append(job.PreRun, d.PreRun...)
		if d.Run != "" {
			job.Run = d.Run
		}
		job.PostRun = append(slices.Clone(d.PostRun), job.PostRun...)
		job.Provides = union(job.Provides, d.Provides)
		job.Requires = union(job.Requires, d.Requires)
		job.Vars = mergeVars(job.Vars, d.Vars)
		for name, s := range d.Secrets {
			job.Secrets[name] = deepCopy(s)
		}
	}
	return job, nil
}

// union appends the elements of add that list lacks.
func union(list, add []string) []string {
	for _, s := range add {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}
