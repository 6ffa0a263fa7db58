// Command docker_auth adds or removes one registry's credentials in a
// docker config.json or a containers auth.json.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/dockerauth"
)

type params struct {
	Path     string `ansible:"path" type:"path" default:"~/.docker/config.json"`
	Registry string `ansible:"registry,required"`
	Username string `ansible:"username"`
	Password string `ansible:"password,no_log"`
	State    string `ansible:"state" default:"present" choices:"present,absent"`
}

func main() { os.Exit(ansible.Main(run)) }

func run(m *ansible.Module, p *params) (ansible.Result, error) {
	var res ansible.Result
	res.Set("path", p.Path)
	res.Set("registry", p.Registry)
	var (
		edit dockerauth.Edit
		err  error
	)
	if p.State == "absent" {
		edit, err = dockerauth.Remove(p.Path, p.Registry, m.CheckMode)
	} else {
		var missing []string
		if p.Username == "" {
			missing = append(missing, "username")
		}
		if p.Password == "" {
			missing = append(missing, "password")
		}
		if len(missing) > 0 {
			return res, fmt.Errorf("state is present but all of the following are missing: %s", strings.Join(missing, ", "))
		}
		edit, err = dockerauth.Add(p.Path, dockerauth.Credentials{
			Registry: p.Registry, Username: p.Username, Password: p.Password,
		}, m.CheckMode)
	}
	if err != nil {
		return res, err
	}
	res.Changed = edit.Changed
	if edit.Changed {
		before, after := dockerauth.MaskDiff(edit.Before, edit.After)
		res.Diffs = append(res.Diffs, ansible.Diff{
			Before: before, After: after,
			BeforeHeader: edit.Path + " (before)", AfterHeader: edit.Path + " (after)",
		})
	}
	if s := edit.Store; s.Helper != "" {
		what := "this entry is not used by docker"
		if p.State == "absent" {
			what = "removing the entry does not remove credentials the helper holds"
		}
		m.Warn("%s: docker asks the credential helper %q (%s) for %s's credentials and does not read \"auths\" for it: %s",
			edit.Path, s.Helper, s.Key, p.Registry, what)
	}
	return res, nil
}
