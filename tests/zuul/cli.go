package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Exit statuses.
const (
	exitOK         = 0 // every job ended as expected
	exitUnexpected = 1 // some job did not (or a teardown failed)
	exitError      = 2 // bad usage or configuration, or the run could not go on
)

// cli runs the command line args and returns the exit status.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zuul", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "the configuration file (required)")
	work := fs.String("work", "", "where job dirs and report.json go (required)")
	root := fs.String("root", ".", "the directory playbook paths are relative to, and ansible-playbook runs in")
	checkout := fs.String("checkout", "", "the collection's checkout, for roles/ and tests/zuul/library/\n(default: the nearest directory at or above the current one that holds tests/zuul/library/zuul_return.py)")
	timeout := fs.Duration("timeout", time.Hour, "the longest a playbook may run")
	verbose := fs.Bool("v", false, "stream ansible-playbook's output, each line prefixed with buildset/job")
	ansible := fs.String("ansible-playbook", "ansible-playbook", "the ansible-playbook command")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *configPath == "" || *work == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: zuul -config <file.yaml> -work <dir> [flags]")
		fs.PrintDefaults()
		return exitError
	}
	r, err := newRunner(*configPath, *work, *root, *checkout)
	if err != nil {
		fmt.Fprintf(stderr, "zuul: %v\n", err)
		return exitError
	}
	r.Timeout, r.Verbose, r.AnsiblePlaybook, r.Out = *timeout, *verbose, *ansible, stdout

	rep, err := r.Run(ctx)
	reportPath := filepath.Join(r.Work, "report.json")
	if err != nil {
		fmt.Fprintf(stderr, "zuul: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "\nreport: %s\n", reportPath)
	if !rep.OK {
		for _, bs := range r.buildsets {
			for _, b := range bs.Builds {
				for _, u := range b.unexpected() {
					fmt.Fprintf(stderr, "zuul: %s/%s: %s\n", bs.Def.Name, b.Job.Name, u)
				}
			}
		}
		return exitUnexpected
	}
	return exitOK
}

// newRunner loads the configuration and resolves the paths a Runner needs.
func newRunner(configPath, work, root, checkout string) (*Runner, error) {
	cfg, err := LoadConfig(configPath)
	if err != nil {
		return nil, err
	}
	if root, err = filepath.Abs(root); err != nil {
		return nil, err
	}
	if work, err = filepath.Abs(work); err != nil {
		return nil, err
	}
	if checkout == "" {
		if checkout, err = findCheckout(); err != nil {
			return nil, err
		}
	}
	if checkout, err = filepath.Abs(checkout); err != nil {
		return nil, err
	}
	lib := filepath.Join(checkout, libraryDir)
	if _, err := os.Stat(filepath.Join(lib, "zuul_return.py")); err != nil {
		return nil, fmt.Errorf("checkout %s: no zuul_return: %w", checkout, err)
	}
	for _, pb := range playbooks(cfg) {
		if _, err := os.Stat(filepath.Join(root, pb)); err != nil {
			return nil, fmt.Errorf("playbook %s (relative to %s): %w", pb, root, err)
		}
	}
	return &Runner{
		Config:          cfg,
		Root:            root,
		Work:            work,
		Library:         lib,
		Roles:           filepath.Join(checkout, "roles"),
		AnsiblePlaybook: "ansible-playbook",
		Timeout:         time.Hour,
		Out:             io.Discard,
	}, nil
}

// libraryDir is where zuul_return.py lives, relative to the checkout.
const libraryDir = "tests/zuul/library"

// findCheckout returns the nearest directory, from the current one up,
// that holds tests/zuul/library/zuul_return.py.
func findCheckout() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, libraryDir, "zuul_return.py")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no checkout (tests/zuul/library/zuul_return.py) at or above the current directory: use -checkout")
		}
		dir = parent
	}
}

// playbooks returns every playbook path the configuration names.
func playbooks(c *Config) []string {
	var out []string
	add := func(j *JobDef) {
		out = append(out, j.PreRun...)
		if j.Run != "" {
			out = append(out, j.Run)
		}
		out = append(out, j.PostRun...)
	}
	for i := range c.Jobs {
		add(&c.Jobs[i])
	}
	for i := range c.Buildsets {
		for j := range c.Buildsets[i].Jobs {
			add(&c.Buildsets[i].Jobs[j].JobDef)
		}
	}
	if c.Teardown != "" {
		out = append(out, c.Teardown)
	}
	return out
}
