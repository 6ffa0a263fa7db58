package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Phases of a job, and what a playbook run can end as.
const (
	phasePre      = "pre-run"
	phaseRun      = "run"
	phasePost     = "post-run"
	phaseTeardown = "teardown"

	playOK       = "ok"
	playFailed   = "failed"
	playTimedOut = "timed out"
)

// PlaybookRun is one ansible-playbook run of a build.
type PlaybookRun struct {
	Seq      int     `json:"seq"` // order among all playbook runs of the whole run
	Phase    string  `json:"phase"`
	Playbook string  `json:"playbook"`
	Seconds  float64 `json:"seconds"`
	Result   string  `json:"result"` // ok, failed, timed out
}

// play runs one playbook for build b - ansible-playbook -i <inventory>
// [-e <extra>] <playbook>, from the root - and records it in b.Playbooks.
// Its output goes to the job's job-output.txt and, with Verbose, to Out
// with a prefix naming the job. An error means the run cannot go on (no
// ansible-playbook, or the run was interrupted); a failing playbook is a
// result, not an error.
func (r *Runner) play(ctx context.Context, bs *Buildset, b *Build, dirs jobDirs, phase, playbook string, extra map[string]any) (PlaybookRun, error) {
	r.seq++
	run := PlaybookRun{Seq: r.seq, Phase: phase, Playbook: playbook}
	args := []string{"-i", dirs.Inventory}
	if len(extra) > 0 {
		e, err := json.Marshal(extra)
		if err != nil {
			return run, err
		}
		args = append(args, "-e", string(e))
	}
	args = append(args, playbook)

	out, err := os.OpenFile(dirs.JobOutput, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return run, err
	}
	defer out.Close()
	fmt.Fprintf(out, "\n### %s %s %s\n### ansible-playbook %s\n", time.Now().UTC().Format(time.RFC3339), phase, playbook, strings.Join(args, " "))

	pctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	cmd := exec.CommandContext(pctx, r.AnsiblePlaybook, args...)
	cmd.Dir = r.Root
	cmd.Env = r.env(dirs)
	// A process group, so that a timeout also ends the modules and
	// anything else ansible-playbook started in the foreground.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A daemon a playbook starts may keep a copy of the output pipe; stop
	// waiting for it once ansible-playbook has exited.
	cmd.WaitDelay = 5 * time.Second
	var pw *prefixWriter
	if r.Verbose {
		pw = &prefixWriter{w: r.Out, prefix: "[" + bs.Def.Name + "/" + b.Job.Name + "] "}
		cmd.Stdout = io.MultiWriter(out, pw)
	} else {
		cmd.Stdout = out // a file: no pipe for a daemon to hold
	}
	cmd.Stderr = cmd.Stdout

	start := time.Now()
	err = cmd.Run()
	run.Seconds = math.Round(time.Since(start).Seconds()*100) / 100
	if pw != nil {
		pw.Flush()
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return run, fmt.Errorf("%s/%s: %s %s: %w", bs.Def.Name, b.Job.Name, phase, playbook, context.Cause(ctx))
	case errors.Is(pctx.Err(), context.DeadlineExceeded):
		run.Result = playTimedOut
	case err == nil, errors.Is(err, exec.ErrWaitDelay):
		run.Result = playOK
	case errors.As(err, &exitErr):
		run.Result = playFailed
	default:
		return run, fmt.Errorf("running %s: %w", r.AnsiblePlaybook, err)
	}
	fmt.Fprintf(out, "### %s %s: %s (%.2fs)\n", phase, playbook, run.Result, run.Seconds)
	fmt.Fprintf(r.Out, "%s %s: %s %s: %s (%.1fs)\n", bs.Def.Name, b.Job.Name, phase, playbook, run.Result, run.Seconds)
	b.Playbooks = append(b.Playbooks, run)
	return run, nil
}

// env is the environment of ansible-playbook: the runner's own (so
// ANSIBLE_COLLECTIONS_PATH and the like carry over), plus ZUUL_JOBDIR for
// zuul_return, the zuul_return library and the checkout's roles first on
// their paths, and plain output.
func (r *Runner) env(dirs jobDirs) []string {
	set := map[string]string{
		"ZUUL_JOBDIR":                 dirs.Root,
		"ANSIBLE_LIBRARY":             prependPath(r.Library, os.Getenv("ANSIBLE_LIBRARY")),
		"ANSIBLE_ROLES_PATH":          prependPath(r.Roles, os.Getenv("ANSIBLE_ROLES_PATH")),
		"ANSIBLE_NOCOLOR":             "1",
		"ANSIBLE_FORCE_COLOR":         "0",
		"ANSIBLE_RETRY_FILES_ENABLED": "0",
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

func prependPath(dir, list string) string {
	if list == "" {
		return dir
	}
	return dir + ":" + list
}

// prefixWriter writes whole lines, each with a prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i]); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
}

// Flush writes a last line that has no newline.
func (p *prefixWriter) Flush() {
	if len(p.buf) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf)
		p.buf = nil
	}
}
