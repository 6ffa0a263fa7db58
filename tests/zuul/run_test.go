package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// These tests run ansible-playbook for real, on tiny playbooks of
// testdata/playbooks: seconds each, no docker.

type cliRun struct {
	code           int
	stdout, stderr string
	work           string
}

// runCLI runs the command on a testdata config, every playbook bounded by
// timeout and the whole run by five minutes.
func runCLI(t *testing.T, config string, timeout time.Duration, extra ...string) cliRun {
	t.Helper()
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Skip("no ansible-playbook")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	work := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := append([]string{
		"-config", filepath.Join("testdata", config), "-work", work, "-root", "testdata",
		"-timeout", timeout.String(),
	}, extra...)
	code := cli(ctx, args, &stdout, &stderr)
	require.NoError(t, ctx.Err(), "the run took too long")
	return cliRun{code: code, stdout: stdout.String(), stderr: stderr.String(), work: work}
}

// testReport is report.json as a test reads it.
type testReport struct {
	OK        bool `json:"ok"`
	Buildsets map[string]struct {
		UUID string                `json:"uuid"`
		Jobs map[string]*JobReport `json:"jobs"`
	} `json:"buildsets"`
}

func readReport(t *testing.T, work string) (*testReport, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(work, "report.json"))
	require.NoError(t, err)
	var r testReport
	require.NoError(t, json.Unmarshal(b, &r))
	return &r, string(b)
}

// get walks nested maps of decoded JSON.
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func seqs(j *JobReport, phase string) []int {
	var out []int
	for _, p := range j.Playbooks {
		if phase == "" || p.Phase == phase {
			out = append(out, p.Seq)
		}
	}
	return out
}

func phases(j *JobReport) []string {
	var out []string
	for _, p := range j.Playbooks {
		out = append(out, p.Phase+" "+filepath.Base(p.Playbook)+" "+p.Result)
	}
	return out
}

func TestRunGate(t *testing.T) {
	t.Parallel()
	run := runCLI(t, "gate.yaml", 2*time.Minute)
	require.Equal(t, exitOK, run.code, "stdout:\n%s\nstderr:\n%s", run.stdout, run.stderr)
	rep, raw := readReport(t, run.work)
	require.True(t, rep.OK)

	ahead := rep.Buildsets["ahead"].Jobs["build-image-base"]
	registry := rep.Buildsets["gate"].Jobs["registry"]
	build := rep.Buildsets["gate"].Jobs["build-image"]
	test := rep.Buildsets["gate"].Jobs["test-image"]
	release := rep.Buildsets["release"].Jobs["test-image"]
	for _, j := range []*JobReport{ahead, registry, build, test, release} {
		require.Equal(t, resultSuccess, j.Result)
		require.Regexp(t, "^[0-9a-f]{32}$", j.Build)
	}

	// Inheritance: the parent's pre-run first, the child's post-run first;
	// the build job does not pause (its run playbook replaces the pausing one).
	require.Equal(t, []string{
		"pre-run registry-pre.yaml ok", "pre-run build-pre.yaml ok", "run build.yaml ok",
		"post-run build-post.yaml ok", "post-run registry-post.yaml ok",
	}, phases(build))
	require.False(t, build.Paused)
	require.False(t, ahead.Paused)

	// Pause: the registry job's run asked for it (the hyphenated role from
	// the checkout's roles/); its dependents ran to the end before its
	// post-run.
	require.True(t, registry.Paused)
	require.Equal(t, true, get(registry.Data, "zuul", "pause"))
	require.Equal(t, []string{
		"pre-run registry-pre.yaml ok", "run registry-run.yaml ok",
		"post-run registry-post.yaml ok",
	}, phases(registry))
	runSeq := seqs(registry, "run")[0]
	postSeq := seqs(registry, "post-run")[0]
	for _, j := range []*JobReport{build, test} {
		for _, s := range seqs(j, "") {
			require.Greater(t, s, runSeq)
			require.Less(t, s, postSeq)
		}
	}
	require.Equal(t, true, get(registry.Data, "registry_post_saw", "success"))

	// Handover from secret_data: the build job got the registry job's
	// record (the password made from the registry's build id), so its
	// pre-run did not start a registry; the producer-only job ahead
	// started its own.
	sum := sha1.Sum([]byte("pw-" + registry.Build))
	require.Equal(t, true, get(build.Data, "run_saw", "registry"))
	require.Equal(t, hex.EncodeToString(sum[:]), get(build.Data, "run_saw", "registry_password_sha1"))
	require.Equal(t, true, get(build.Data, "pre_saw", "registry_from_parent"))
	require.Equal(t, false, get(registry.Data, "pre_saw", "registry_from_parent"))
	require.Equal(t, false, get(ahead.Data, "run_saw", "registry"))
	require.Equal(t, true, get(test.Data, "run_saw", "registry"), "transitively, from the grandparent")

	// Secrets never reach the report nor the output.
	for _, out := range []string{raw, run.stdout, run.stderr} {
		require.NotContains(t, out, "pw-"+registry.Build)
		require.NotContains(t, out, "lookup('env'")
		require.NotContains(t, out, "buildset_registry")
	}
	inv, err := os.ReadFile(filepath.Join(build.Dir, "inventory.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(inv), `password: !unsafe "pw-`+registry.Build+`"`)
	fi, err := os.Stat(filepath.Join(build.Dir, "inventory.yaml"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// Variables: buildset vars < data returned by dependencies < job vars;
	// node vars on the node only; `hosts: all` is the node alone.
	require.Equal(t, map[string]any{"a": "registry", "b": "build-image-base", "c": "build-image", "d": "buildset"},
		get(build.Data, "run_saw", "deep"))
	require.Equal(t, "from-registry", get(build.Data, "run_saw", "layer"))
	require.Equal(t, "test-image", get(test.Data, "run_saw", "layer"))
	require.Equal(t, map[string]any{"a": "buildset", "c": "buildset", "d": "buildset"}, get(test.Data, "run_saw", "deep"))
	require.Equal(t, []any{"node"}, get(test.Data, "node_saw", "hosts"))
	require.Equal(t, "local", get(test.Data, "node_saw", "connection"))
	require.Equal(t, "127.0.0.1", get(test.Data, "node_saw", "ansible_host"))
	require.Equal(t, "node-var", get(test.Data, "node_saw", "node_only"))
	require.Equal(t, "", get(test.Data, "run_saw", "node_only"))
	require.Equal(t, test.Build, get(test.Data, "node_saw", "build"))
	require.Equal(t, true, get(test.Data, "run_saw", "results_file_exists"))

	// zuul, for a change and for a tag.
	z := get(build.Data, "run_saw", "zuul").(map[string]any)
	require.Equal(t, build.Build, z["build"])
	require.Equal(t, rep.Buildsets["gate"].UUID, z["buildset"])
	require.Equal(t, "1001", z["change"])
	require.Equal(t, "2", z["patchset"])
	require.Equal(t, "gate", z["pipeline"])
	require.Equal(t, "test-tenant", z["tenant"])
	require.Equal(t, "build-image", z["job"])
	require.Equal(t, "https://review.example.org/c/example/app/+/1001", z["change_url"])
	require.Equal(t, map[string]any{
		"name": "example/app", "short_name": "app", "canonical_hostname": "review.example.org",
		"canonical_name": "review.example.org/example/app", "src_dir": "src/review.example.org/example/app",
	}, z["project"])
	require.Equal(t, filepath.Join(build.Dir, "work"), get(z, "executor", "work_root"))
	require.Equal(t, filepath.Join(build.Dir, "work", "results.json"), get(z, "executor", "result_data_file"))
	require.Equal(t, filepath.Join(build.Dir, "work", "logs"), get(z, "executor", "log_root"))
	zt := get(release.Data, "run_saw", "zuul").(map[string]any)
	require.Equal(t, "1.2.3", zt["tag"])
	require.NotContains(t, zt, "change")
	require.NotContains(t, zt, "change_url")
	require.Equal(t, "release", zt["pipeline"])

	// Artifacts: the build job requires docker-image (from its parent) and
	// gets the one of the change ahead; the test job requires nothing and
	// gets its ancestors'; the tag item requires docker-image and gets both
	// changes ahead's, oldest first.
	artifact := func(project, change, patchset, job, build string) map[string]any {
		short := project[strings.LastIndex(project, "/")+1:]
		return map[string]any{
			"name": project + ":latest",
			"url":  "docker://127.0.0.1:5443/" + project + ":" + build + "_latest",
			"metadata": map[string]any{
				"type": "container_image", "repository": "example/" + short, "tag": "latest",
			},
			"project": project, "change": change, "patchset": patchset, "job": job,
		}
	}
	aheadArtifact := artifact("example/base", "1000", "1", "build-image-base", ahead.Build)
	gateArtifact := artifact("example/app", "1001", "2", "build-image", build.Build)
	require.Equal(t, []any{aheadArtifact}, z["artifacts"])
	require.Equal(t, []any{gateArtifact}, get(test.Data, "run_saw", "zuul", "artifacts"))
	require.Equal(t, []any{aheadArtifact, gateArtifact}, zt["artifacts"])
	require.Equal(t, []map[string]any{aheadArtifact}, ahead.Artifacts)
	require.Equal(t, []map[string]any{gateArtifact}, build.Artifacts)
	require.Empty(t, registry.Artifacts)

	// Output: per job, in job-output.txt; the table on stdout.
	out, err := os.ReadFile(filepath.Join(build.Dir, "job-output.txt"))
	require.NoError(t, err)
	require.Contains(t, string(out), "build pre-run of build-image")
	require.Contains(t, string(out), "PLAY RECAP")
	require.Contains(t, run.stdout, "== buildset gate: example/app, change 1001,2, pipeline gate")
	require.Regexp(t, `registry +SUCCESS +[0-9.]+s +[0-9.]+s +[0-9.]+s +- +paused`, run.stdout)
	require.Regexp(t, `test-image +SUCCESS +- +[0-9.]+s +- +-`, run.stdout)
}

func TestRunFailures(t *testing.T) {
	t.Parallel()
	run := runCLI(t, "failures.yaml", 2*time.Minute)
	require.Equal(t, exitOK, run.code, "every result is the expected one\nstdout:\n%s\nstderr:\n%s", run.stdout, run.stderr)
	rep, _ := readReport(t, run.work)
	require.True(t, rep.OK)
	jobs := rep.Buildsets["failures"].Jobs
	result := map[string]string{}
	for name, j := range jobs {
		result[name] = j.Result
	}
	require.Equal(t, map[string]string{
		"pre-fails":       resultPreFailure,
		"run-fails":       resultFailure,
		"after-run-fails": resultSkipped,
		"post-fails":      resultPostFailure,
		"pauser":          resultSuccess,
		"child-fails":     resultFailure,
		"grandchild":      resultSkipped,
		"sibling":         resultSuccess,
	}, result)

	// pre-run failed: no run; post-run still, told zuul_success false.
	require.Equal(t, []string{"pre-run fail.yaml failed", "post-run post-record.yaml ok", "teardown teardown.yaml ok"}, phases(jobs["pre-fails"]))
	require.Equal(t, false, get(jobs["pre-fails"].Data, "post_saw", "success"))
	require.Equal(t, false, get(jobs["run-fails"].Data, "post_saw", "success"))
	// A failed post-run playbook: POST_FAILURE, and the next one is told.
	require.Equal(t, []string{"run record.yaml ok", "post-run fail.yaml failed", "post-run post-record.yaml ok", "teardown teardown.yaml ok"}, phases(jobs["post-fails"]))
	require.Equal(t, false, get(jobs["post-fails"].Data, "post_saw", "success"))
	// Skipped: nothing ran, no job dir.
	for _, name := range []string{"after-run-fails", "grandchild"} {
		require.Empty(t, jobs[name].Playbooks)
		require.Empty(t, jobs[name].Build)
		require.Empty(t, jobs[name].Dir)
	}
	// The paused job resumes after its dependents, even a failed one, and
	// succeeds.
	pauser := jobs["pauser"]
	require.True(t, pauser.Paused)
	post := seqs(pauser, "post-run")[0]
	for _, name := range []string{"child-fails", "sibling"} {
		for _, s := range seqs(jobs[name], "") {
			require.Less(t, s, post, name)
		}
	}
	require.Equal(t, true, get(pauser.Data, "post_saw", "success"))
	require.Equal(t, []string{"run registry-run.yaml ok", "post-run post-record.yaml ok", "teardown teardown.yaml ok"}, phases(pauser),
		"a paused job's teardown comes after its post-run")
	// Teardown ran after every job that ran, told its result.
	for name, j := range jobs {
		if j.Result == resultSkipped {
			continue
		}
		b, err := os.ReadFile(filepath.Join(j.Dir, "work", "teardown-result"))
		require.NoError(t, err, name)
		require.Equal(t, j.Result, string(b), name)
		require.Equal(t, phaseTeardown, j.Playbooks[len(j.Playbooks)-1].Phase, name)
	}
	require.Regexp(t, `pre-fails +PRE_FAILURE .* as expected`, run.stdout)
}

func TestRunTimeout(t *testing.T) {
	t.Parallel()
	run := runCLI(t, "timeout.yaml", 15*time.Second)
	require.Equal(t, exitOK, run.code, "stdout:\n%s\nstderr:\n%s", run.stdout, run.stderr)
	rep, _ := readReport(t, run.work)
	j := rep.Buildsets["slow"].Jobs["sleeps"]
	require.Equal(t, resultTimedOut, j.Result)
	require.Equal(t, []string{"run sleep.yaml timed out", "post-run post-record.yaml ok"}, phases(j))
	require.Less(t, j.Playbooks[0].Seconds, 30.0)
	require.Equal(t, false, get(j.Data, "post_saw", "success"))

	// The timeout ended the whole process group, the sleep included.
	b, err := os.ReadFile(filepath.Join(j.Dir, "work", "sleep.pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return !alive(pid) }, 10*time.Second, 100*time.Millisecond)
}

// alive tells whether a process runs (a zombie does not).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

func TestRunUnexpectedFailure(t *testing.T) {
	t.Parallel()
	run := runCLI(t, "unexpected.yaml", 2*time.Minute, "-v")
	require.Equal(t, exitUnexpected, run.code)
	require.Contains(t, run.stderr, "zuul: broken/fails: FAILURE, expected SUCCESS")
	require.Regexp(t, `fails +FAILURE +- +[0-9.]+s +- +- +UNEXPECTED: FAILURE, expected SUCCESS`, run.stdout)
	// -v streams ansible-playbook's output, prefixed.
	require.Contains(t, run.stdout, "[broken/fails] TASK [Fail on purpose]")
	require.Contains(t, run.stdout, "[broken/fails] PLAY RECAP")
	rep, _ := readReport(t, run.work)
	require.False(t, rep.OK)
}

func TestCLIUsage(t *testing.T) {
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitError, cli(ctx, []string{"-config", "testdata/gate.yaml"}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "usage:")

	stderr.Reset()
	require.Equal(t, exitError, cli(ctx, []string{"-config", "testdata/nope.yaml", "-work", t.TempDir()}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "nope.yaml")

	// Playbook paths are checked before anything runs.
	stderr.Reset()
	require.Equal(t, exitError, cli(ctx, []string{"-config", "testdata/gate.yaml", "-work", t.TempDir(), "-root", t.TempDir()}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "playbooks/registry-pre.yaml")

	stderr.Reset()
	require.Equal(t, exitError, cli(ctx, []string{"-config", "testdata/gate.yaml", "-work", t.TempDir(), "-checkout", t.TempDir()}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "no zuul_return")
}

func TestPrefixWriter(t *testing.T) {
	var out bytes.Buffer
	w := &prefixWriter{w: &out, prefix: "[x] "}
	for _, s := range []string{"one\ntw", "o\n", "\nthree"} {
		n, err := w.Write([]byte(s))
		require.NoError(t, err)
		require.Equal(t, len(s), n)
	}
	w.Flush()
	require.Equal(t, "[x] one\n[x] two\n[x] \n[x] three\n", out.String())
}
