// Command docker_service starts, stops, reloads or restarts dockerd, with
// systemd or, on hosts without an init system, directly, and waits until
// its API answers.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/dockerd"
)

type params struct {
	State   string `ansible:"state" default:"started" choices:"started,stopped,reloaded,restarted"`
	Socket  string `ansible:"socket" type:"path" default:"/var/run/docker.sock"`
	Pidfile string `ansible:"pidfile" type:"path" default:"/var/run/docker.pid"`
	LogFile string `ansible:"log_file" type:"path" default:"/var/log/dockerd.log"`
	Manager string `ansible:"manager" default:"auto" choices:"auto,systemd,direct"`
	Timeout int    `ansible:"timeout" default:"60"`
}

func main() { os.Exit(ansible.Main(run)) }

func run(m *ansible.Module, p *params) (ansible.Result, error) {
	var res ansible.Result
	d, err := dockerd.New(
		dockerd.WithManager(dockerd.Manager(p.Manager)),
		dockerd.WithSocket(p.Socket),
		dockerd.WithPidfile(p.Pidfile),
		dockerd.WithLogFile(p.LogFile),
		dockerd.WithTimeout(time.Duration(p.Timeout)*time.Second),
	)
	if err != nil {
		return res, err
	}
	out, err := d.Ensure(context.Background(), dockerd.State(p.State), m.CheckMode)
	res.Changed = out.Changed()
	res.Set("manager", string(d.Manager()))
	res.Set("pid", out.Status.Pid)
	res.Set("running", out.Status.Running)
	res.Msg = message(out.Action, m.CheckMode)
	return res, err
}

func message(a dockerd.Action, check bool) string {
	done := map[dockerd.Action]string{
		dockerd.Start: "started", dockerd.Stop: "stopped", dockerd.Reload: "reloaded", dockerd.Restart: "restarted"}
	switch {
	case a == dockerd.None:
		return "dockerd is already in the requested state"
	case check:
		return fmt.Sprintf("dockerd would be %s", done[a])
	}
	return fmt.Sprintf("dockerd %s", done[a])
}
