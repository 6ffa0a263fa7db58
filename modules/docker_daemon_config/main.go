// Command docker_daemon_config merges settings into dockerd's daemon.json.
package main

import (
	"os"
	"sort"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/daemonjson"
)

type params struct {
	Path      string         `ansible:"path" type:"path" default:"/etc/docker/daemon.json"`
	Settings  map[string]any `ansible:"settings" default:"{}"`
	ListMerge string         `ansible:"list_merge" default:"replace" choices:"replace,prepend,append"`
	Remove    []string       `ansible:"remove" default:""`
	Reload    bool           `ansible:"reload" default:"false"`
}

func main() { os.Exit(ansible.Main(run)) }

func run(m *ansible.Module, p *params) (ansible.Result, error) {
	var res ansible.Result
	res.Set("path", p.Path)
	edit, err := daemonjson.Merge(p.Path, daemonjson.Request{
		Settings:  p.Settings,
		ListMerge: daemonjson.ListMerge(p.ListMerge),
		Remove:    p.Remove,
	}, m.CheckMode)
	if err != nil {
		return res, err
	}
	res.Changed = edit.Changed
	sort.Strings(edit.ChangedKeys)
	res.Set("changed_keys", edit.ChangedKeys)
	res.Set("restart_required", edit.RestartRequired)
	res.Set("config", edit.Config)
	if edit.Changed {
		res.Diffs = append(res.Diffs, ansible.Diff{
			Before: string(edit.Before), After: string(edit.After),
			BeforeHeader: edit.Path + " (before)", AfterHeader: edit.Path + " (after)",
		})
	}
	if p.Reload && edit.Changed {
		if edit.RestartRequired {
			m.Warn("%s changed keys dockerd only reads at start (%v): docker was not reloaded; restart it to apply them",
				edit.Path, edit.RestartKeys)
		} else if !m.CheckMode {
			reloaded, err := reloadDocker()
			res.Set("reloaded", reloaded)
			if err != nil {
				return res, err
			}
		}
	}
	return res, nil
}
