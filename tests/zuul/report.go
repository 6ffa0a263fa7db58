package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// Report is report.json. It never holds secret_data.
type Report struct {
	OK        bool                       `json:"ok"` // every job ended as expected, every teardown passed
	Buildsets map[string]*BuildsetReport `json:"buildsets"`
}

// BuildsetReport is one buildset of the report.
type BuildsetReport struct {
	UUID     string                `json:"uuid"`
	Project  string                `json:"project"`
	Change   string                `json:"change,omitempty"`
	Patchset string                `json:"patchset,omitempty"`
	Tag      string                `json:"tag,omitempty"`
	Pipeline string                `json:"pipeline"`
	Jobs     map[string]*JobReport `json:"jobs"`
}

// JobReport is one job of a buildset.
type JobReport struct {
	Result    string           `json:"result"`
	Expect    string           `json:"expect"`
	Build     string           `json:"build,omitempty"`
	Paused    bool             `json:"paused"`
	Dir       string           `json:"dir,omitempty"`
	Playbooks []PlaybookRun    `json:"playbooks"` // every playbook run, teardown included, with its seconds
	Data      map[string]any   `json:"data"`      // what the job returned as data (never secret_data)
	Artifacts []map[string]any `json:"artifacts"` // data.zuul.artifacts, as later jobs receive them
}

func newReport(buildsets []*Buildset) *Report {
	rep := &Report{OK: true, Buildsets: make(map[string]*BuildsetReport)}
	for _, bs := range buildsets {
		br := &BuildsetReport{
			UUID:     bs.UUID,
			Project:  bs.Def.Project,
			Change:   bs.Def.Change,
			Patchset: bs.Def.Patchset,
			Tag:      bs.Def.Tag,
			Pipeline: bs.Def.Pipeline,
			Jobs:     make(map[string]*JobReport),
		}
		for _, b := range bs.Builds {
			jr := &JobReport{
				Result:    b.Result,
				Expect:    b.Job.Expect,
				Build:     b.UUID,
				Paused:    b.Paused,
				Dir:       b.Dir,
				Playbooks: b.Playbooks,
				Data:      b.Data,
				Artifacts: returnedArtifacts(bs, b),
			}
			if jr.Playbooks == nil {
				jr.Playbooks = []PlaybookRun{}
			}
			if jr.Data == nil {
				jr.Data = map[string]any{}
			}
			if jr.Artifacts == nil {
				jr.Artifacts = []map[string]any{}
			}
			if len(b.unexpected()) > 0 {
				rep.OK = false
			}
			br.Jobs[b.Job.Name] = jr
		}
		rep.Buildsets[bs.Def.Name] = br
	}
	return rep
}

// unexpected says what went wrong with b, if anything: a result other
// than the expected one (a job not run yet counts), a failed teardown.
func (b *Build) unexpected() []string {
	var out []string
	if b.Result != b.Job.Expect {
		r := b.Result
		if r == "" {
			r = "not run"
		}
		out = append(out, fmt.Sprintf("%s, expected %s", r, b.Job.Expect))
	}
	for _, p := range b.Playbooks {
		if p.Phase == phaseTeardown && p.Result != playOK {
			out = append(out, "teardown "+p.Result)
		}
	}
	return out
}

func (r *Report) write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writeTable prints one line per job of bs: its result and the seconds
// spent in each phase.
func writeTable(w io.Writer, bs *Buildset) {
	d := bs.Def
	item := "no change"
	switch {
	case d.Change != "":
		item = "change " + d.Change + "," + d.Patchset
	case d.Tag != "":
		item = "tag " + d.Tag
	}
	fmt.Fprintf(w, "\n== buildset %s: %s, %s, pipeline %s\n", d.Name, d.Project, item, d.Pipeline)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tRESULT\tPRE-RUN\tRUN\tPOST-RUN\tTEARDOWN\tNOTE")
	for _, b := range bs.Builds {
		secs := map[string]float64{}
		ran := map[string]bool{}
		for _, p := range b.Playbooks {
			secs[p.Phase] += p.Seconds
			ran[p.Phase] = true
		}
		col := func(phase string) string {
			if !ran[phase] {
				return "-"
			}
			return fmt.Sprintf("%.1fs", secs[phase])
		}
		var note []string
		if b.Paused {
			note = append(note, "paused")
		}
		if u := b.unexpected(); len(u) > 0 {
			note = append(note, "UNEXPECTED: "+strings.Join(u, "; "))
		} else if b.Job.Expect != resultSuccess {
			note = append(note, "as expected")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Job.Name, b.Result,
			col(phasePre), col(phaseRun), col(phasePost), col(phaseTeardown), strings.Join(note, ", "))
	}
	tw.Flush()
}
