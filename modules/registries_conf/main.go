// Command registries_conf puts a registry mirror first in the containers
// registries.conf (v2) for chosen registries.
package main

import (
	"os"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/registriesconf"
)

type params struct {
	Path                        string   `ansible:"path" type:"path" default:"/etc/containers/registries.conf"`
	Mirror                      string   `ansible:"mirror,required"`
	Namespaces                  []string `ansible:"namespaces" default:"docker.io,quay.io,gcr.io,registry.k8s.io"`
	UnqualifiedSearchRegistries []string `ansible:"unqualified_search_registries" default:"docker.io"`
	State                       string   `ansible:"state" default:"present" choices:"present,absent"`
}

func main() { os.Exit(ansible.Main(run)) }

func run(m *ansible.Module, p *params) (ansible.Result, error) {
	var res ansible.Result
	res.Set("path", p.Path)
	edit, err := registriesconf.Apply(p.Path, registriesconf.Request{
		Mirror:            p.Mirror,
		Namespaces:        p.Namespaces,
		UnqualifiedSearch: p.UnqualifiedSearchRegistries,
		Absent:            p.State == "absent",
	}, m.CheckMode)
	if err != nil {
		return res, err
	}
	res.Changed = edit.Changed
	res.Set("mirrors", edit.Mirrors)
	search := edit.UnqualifiedSearch
	if search == nil {
		search = []string{}
	}
	res.Set("unqualified_search_registries", search)
	if edit.Changed {
		res.Diffs = append(res.Diffs, ansible.Diff{
			Before: string(edit.Before), After: string(edit.After),
			BeforeHeader: edit.Path + " (before)", AfterHeader: edit.Path + " (after)",
		})
	}
	return res, nil
}
