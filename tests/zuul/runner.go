package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Runner runs the buildsets of a Config, one job at a time, the way Zuul
// would run them: see README.md for the semantics.
type Runner struct {
	Config          *Config
	Root            string        // playbook paths are relative to it
	Work            string        // job dirs and report.json go under it
	Library         string        // holds zuul_return.py: ANSIBLE_LIBRARY
	Roles           string        // the checkout's roles/: ANSIBLE_ROLES_PATH
	AnsiblePlaybook string        // the command
	Timeout         time.Duration // for each playbook
	Verbose         bool          // stream ansible-playbook's output to Out
	Out             io.Writer     // progress, tables and (Verbose) output

	seq       int
	buildsets []*Buildset
}

// Run runs every buildset in order, printing a table after each and
// keeping <work>/report.json up to date. An error means the run could
// not go on; job failures are in the report.
func (r *Runner) Run(ctx context.Context) (*Report, error) {
	for i := range r.Config.Buildsets {
		def := &r.Config.Buildsets[i]
		bs, err := newBuildset(r.Config, def, r.buildsets)
		if err != nil {
			return nil, err
		}
		r.buildsets = append(r.buildsets, bs)
		dir := filepath.Join(r.Work, def.Name)
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		runErr := r.runBuildset(ctx, bs)
		rep := newReport(r.buildsets)
		if err := rep.write(filepath.Join(r.Work, "report.json")); err != nil {
			return nil, errors.Join(runErr, err)
		}
		if runErr != nil {
			return rep, runErr
		}
		writeTable(r.Out, bs)
	}
	return newReport(r.buildsets), nil
}

// runBuildset runs the jobs of bs in dependency order. A job whose run
// playbook asks for zuul.pause waits, after its run phase, until every job
// depending on it has finished; then its post-run playbooks run.
func (r *Runner) runBuildset(ctx context.Context, bs *Buildset) error {
	var pausedBuilds []*Build // a stack: the latest paused resumes first
	for {
		bs.skipBlocked()
		if b := bs.nextReady(); b != nil {
			if err := r.start(ctx, bs, b); err != nil {
				return err
			}
			if b.state == paused {
				pausedBuilds = append(pausedBuilds, b)
			}
			continue
		}
		resumed := false
		for i := len(pausedBuilds) - 1; i >= 0; i-- {
			if b := pausedBuilds[i]; bs.descendantsDone(b) {
				pausedBuilds = append(pausedBuilds[:i], pausedBuilds[i+1:]...)
				if err := r.finish(ctx, bs, b); err != nil {
					return err
				}
				resumed = true
				break
			}
		}
		if resumed {
			continue
		}
		for _, b := range bs.Builds {
			if b.state != done {
				return fmt.Errorf("buildset %s: job %s can never run", bs.Def.Name, b.Job.Name)
			}
		}
		return nil
	}
}

// start prepares the job dir of b and runs its pre-run and run playbooks;
// then, unless the job paused, finishes it.
func (r *Runner) start(ctx context.Context, bs *Buildset, b *Build) error {
	b.UUID = newUUID()
	root, err := filepath.Abs(filepath.Join(r.Work, bs.Def.Name, b.Job.Name))
	if err != nil {
		return err
	}
	b.Dir = root
	dirs := newJobDirs(root)
	for _, d := range []string{dirs.Root, dirs.Work, dirs.Src, dirs.Logs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if err := os.WriteFile(dirs.Results, nil, 0o600); err != nil {
		return err
	}
	inv, err := inventory(r.Config, bs, b, dirs)
	if err != nil {
		return fmt.Errorf("%s/%s: inventory: %w", bs.Def.Name, b.Job.Name, err)
	}
	if err := os.WriteFile(dirs.Inventory, inv, 0o600); err != nil {
		return err
	}

	for _, pb := range b.Job.PreRun {
		run, err := r.play(ctx, bs, b, dirs, phasePre, pb, nil)
		if err != nil {
			return err
		}
		if run.Result != playOK {
			b.Result, b.preFailed = resultPreFailure, true
			if run.Result == playTimedOut {
				b.Result = resultTimedOut
			}
			break
		}
	}
	if b.Result == "" {
		run, err := r.play(ctx, bs, b, dirs, phaseRun, b.Job.Run, nil)
		if err != nil {
			return err
		}
		switch run.Result {
		case playFailed:
			b.Result = resultFailure
		case playTimedOut:
			b.Result = resultTimedOut
		}
	}
	b.success = b.Result == ""
	if err := r.readResults(bs, b, dirs); err != nil {
		return err
	}
	if b.success && pauseRequested(b.Data) {
		b.state, b.Paused = paused, true
		fmt.Fprintf(r.Out, "%s %s: paused\n", bs.Def.Name, b.Job.Name)
		return nil
	}
	return r.finish(ctx, bs, b)
}

// finish runs the post-run playbooks of b (all of them, each told
// zuul_success), settles its result, and runs the teardown playbook.
func (r *Runner) finish(ctx context.Context, bs *Buildset, b *Build) error {
	dirs := newJobDirs(b.Dir)
	if b.Paused {
		fmt.Fprintf(r.Out, "%s %s: resumed\n", bs.Def.Name, b.Job.Name)
	}
	for _, pb := range b.Job.PostRun {
		run, err := r.play(ctx, bs, b, dirs, phasePost, pb, map[string]any{"zuul_success": b.success})
		if err != nil {
			return err
		}
		if run.Result != playOK {
			b.success = false // later post-run playbooks see the failure, as under Zuul
			if !b.preFailed {
				b.Result = resultPostFailure
			}
		}
	}
	if b.Result == "" {
		b.Result = resultSuccess
	}
	if err := r.readResults(bs, b, dirs); err != nil {
		return err
	}
	b.state = done
	if r.Config.Teardown != "" {
		if _, err := r.play(ctx, bs, b, dirs, phaseTeardown, r.Config.Teardown, map[string]any{"zuul_job_result": b.Result}); err != nil {
			return err
		}
	}
	return nil
}

// readResults loads the job's result file, which zuul_return writes:
// {"data": ..., "secret_data": ...}, or nothing yet.
func (r *Runner) readResults(bs *Buildset, b *Build, dirs jobDirs) error {
	text, err := os.ReadFile(dirs.Results)
	if err != nil {
		return err
	}
	var res struct {
		Data       map[string]any `json:"data"`
		SecretData map[string]any `json:"secret_data"`
	}
	if len(text) > 0 {
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber() // 5000 stays 5000, not 5e+03
		if err := dec.Decode(&res); err != nil {
			// Not the content: it holds secret_data.
			return fmt.Errorf("%s/%s: %s is not a result file: %w", bs.Def.Name, b.Job.Name, dirs.Results, err)
		}
	}
	b.Data, _ = numbers(res.Data).(map[string]any)
	b.SecretData, _ = numbers(res.SecretData).(map[string]any)
	if b.Data == nil {
		b.Data = map[string]any{}
	}
	if b.SecretData == nil {
		b.SecretData = map[string]any{}
	}
	return nil
}

// pauseRequested tells whether data holds zuul.pause: true.
func pauseRequested(data map[string]any) bool {
	z, _ := data["zuul"].(map[string]any)
	p, _ := z["pause"].(bool)
	return p
}

// numbers turns the json.Numbers of decoded JSON into int64 (or float64
// when they are not integers), so that they stay numbers in inventories.
func numbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = numbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = numbers(e)
		}
	}
	return v
}
