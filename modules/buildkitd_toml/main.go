// Command buildkitd_toml puts a registry mirror first in buildkitd.toml for
// chosen registries and names the CA buildkitd trusts for the mirror.
package main

import (
	"os"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/buildkitdtoml"
)

type params struct {
	Path       string   `ansible:"path" type:"path" default:"/etc/buildkit/buildkitd.toml"`
	Mirror     string   `ansible:"mirror,required"`
	Namespaces []string `ansible:"namespaces" default:"docker.io,quay.io,gcr.io,registry.k8s.io"`
	CAFile     string   `ansible:"ca_file" type:"path"`
	State      string   `ansible:"state" default:"present" choices:"present,absent"`
}

func main() { os.Exit(ansible.Main(run)) }

func run(m *ansible.Module, p *params) (ansible.Result, error) {
	var res ansible.Result
	res.Set("path", p.Path)
	edit, err := buildkitdtoml.Apply(p.Path, buildkitdtoml.Request{
		Mirror:     p.Mirror,
		Namespaces: p.Namespaces,
		CAFile:     p.CAFile,
		Absent:     p.State == "absent",
	}, m.CheckMode)
	if err != nil {
		return res, err
	}
	res.Changed = edit.Changed
	res.Set("mirrors", edit.Mirrors)
	res.Set("ca", edit.CA)
	if edit.Changed {
		res.Diffs = append(res.Diffs, ansible.Diff{
			Before: string(edit.Before), After: string(edit.After),
			BeforeHeader: edit.Path + " (before)", AfterHeader: edit.Path + " (after)",
		})
	}
	return res, nil
}
