package main

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
)

// Results, as Zuul names them.
const (
	resultSuccess     = "SUCCESS"
	resultFailure     = "FAILURE"
	resultPreFailure  = "PRE_FAILURE"
	resultPostFailure = "POST_FAILURE"
	resultTimedOut    = "TIMED_OUT"
	resultSkipped     = "SKIPPED"
)

type buildState int

const (
	waiting buildState = iota
	paused             // its run playbook succeeded and asked for zuul.pause
	done
)

// Build is one run of a job in a buildset.
type Build struct {
	Job        *Job
	UUID       string
	Dir        string // the job dir; ZUUL_JOBDIR
	Result     string
	Paused     bool
	Playbooks  []PlaybookRun
	Data       map[string]any // what the job returned (zuul_return data)
	SecretData map[string]any // zuul_return secret_data: never reported

	state     buildState
	preFailed bool // the result came from pre-run: post-run failures keep it
	success   bool // what post-run playbooks get as zuul_success
}

// Buildset is a queue item being run: its definition, its jobs and the
// buildsets whose changes are ahead of it.
type Buildset struct {
	Def    *BuildsetDef
	UUID   string
	Builds []*Build // in config order
	Ahead  []*Buildset

	byName map[string]*Build
}

func newBuildset(c *Config, def *BuildsetDef, all []*Buildset) (*Buildset, error) {
	bs := &Buildset{Def: def, UUID: newUUID(), byName: make(map[string]*Build)}
	for i := range def.Jobs {
		job, err := c.freeze(&def.Jobs[i])
		if err != nil {
			return nil, err
		}
		b := &Build{Job: job}
		bs.Builds = append(bs.Builds, b)
		bs.byName[job.Name] = b
	}
	bs.Ahead = ahead(def, all)
	return bs, nil
}

// ahead returns the buildsets def depends on, directly or not, oldest
// first.
func ahead(def *BuildsetDef, all []*Buildset) []*Buildset {
	want := make(map[string]bool)
	var walk func(names []string)
	walk = func(names []string) {
		for _, n := range names {
			if want[n] {
				continue
			}
			want[n] = true
			for _, bs := range all {
				if bs.Def.Name == n {
					walk(bs.Def.DependsOn)
				}
			}
		}
	}
	walk(def.DependsOn)
	var out []*Buildset
	for _, bs := range all { // all is in config order: oldest first
		if want[bs.Def.Name] {
			out = append(out, bs)
		}
	}
	return out
}

// ancestors returns the builds b depends on, directly or not, in config
// order.
func (bs *Buildset) ancestors(b *Build) []*Build {
	want := make(map[string]bool)
	var walk func(names []string)
	walk = func(names []string) {
		for _, n := range names {
			if !want[n] {
				want[n] = true
				walk(bs.byName[n].Job.Dependencies)
			}
		}
	}
	walk(b.Job.Dependencies)
	var out []*Build
	for _, a := range bs.Builds {
		if want[a.Job.Name] {
			out = append(out, a)
		}
	}
	return out
}

// descendantsDone tells whether every build depending on b, directly or
// not, has finished: a paused build resumes then.
func (bs *Buildset) descendantsDone(b *Build) bool {
	for _, o := range bs.Builds {
		if o != b && o.state != done && slices.Contains(bs.ancestors(o), b) {
			return false
		}
	}
	return true
}

// skipBlocked marks SKIPPED every waiting build with a dependency that
// finished without success, until none is left to mark.
func (bs *Buildset) skipBlocked() {
	for changed := true; changed; {
		changed = false
		for _, b := range bs.Builds {
			if b.state != waiting {
				continue
			}
			for _, d := range b.Job.Dependencies {
				if dep := bs.byName[d]; dep.state == done && dep.Result != resultSuccess {
					b.state, b.Result, changed = done, resultSkipped, true
					break
				}
			}
		}
	}
}

// nextReady returns the first waiting build whose dependencies all
// succeeded or are paused (a paused job's dependents run while it waits).
func (bs *Buildset) nextReady() *Build {
	for _, b := range bs.Builds {
		if b.state != waiting {
			continue
		}
		ready := true
		for _, d := range b.Job.Dependencies {
			if dep := bs.byName[d]; dep.state == waiting {
				ready = false
				break
			}
		}
		if ready {
			return b
		}
	}
	return nil
}

// parentData returns what the builds b depends on returned, merged in
// config order (a later job wins), without their "zuul" keys: the
// variables Zuul gives b from data and from secret_data.
func (bs *Buildset) parentData(b *Build) (data, secret map[string]any) {
	data, secret = map[string]any{}, map[string]any{}
	for _, a := range bs.ancestors(b) {
		data = mergeVars(data, without(a.Data, "zuul"))
		secret = mergeVars(secret, without(a.SecretData, "zuul"))
	}
	return data, secret
}

// newUUID returns a random version-4 UUID as 32 hex digits, the form of
// zuul.build and zuul.buildset.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}
