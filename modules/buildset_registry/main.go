// Command buildset_registry starts and stops the buildset registry: a
// detached process run from a copy of this very binary, or a container of
// an image built locally FROM scratch around it. Run as
// `buildset_registry serve --config <file>` it is the registry itself.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gating/containers/module_utils/ansible"
)

type params struct {
	State            string   `ansible:"state" default:"started" choices:"started,stopped"`
	Root             string   `ansible:"root" type:"path" default:"~/buildset_registry"`
	Host             string   `ansible:"host"`
	Port             int      `ansible:"port" default:"5000"`
	Listen           []string `ansible:"listen" default:"::"`
	Username         string   `ansible:"username" default:"zuul"`
	Password         string   `ansible:"password,no_log"`
	ContainerCommand string   `ansible:"container_command" default:"none" choices:"none,docker,podman"`
	ContainerName    string   `ansible:"container_name"`
	Timeout          int      `ansible:"timeout" default:"60"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == serveCommand {
		os.Exit(serve(os.Args[2:]))
	}
	os.Exit(ansible.Main(run))
}

func run(m *ansible.Module, p *params) (ansible.Result, error) {
	var res ansible.Result
	d, err := newDeployment(p)
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(p.Timeout)*time.Second)
	defer cancel()
	res.Set("root", d.root)
	if p.State == "stopped" {
		return d.stop(ctx, m, res)
	}
	return d.start(ctx, m, res)
}

// validate checks what the options' types cannot.
func validate(p *params) error {
	switch {
	case p.Port < 1 || p.Port > 65535:
		return fmt.Errorf("port %d: not between 1 and 65535", p.Port)
	case p.Timeout < 1:
		return fmt.Errorf("timeout %d: must be at least 1 second", p.Timeout)
	case p.Root == "":
		return fmt.Errorf("root: must not be empty")
	case p.State == "started" && p.Host == "":
		return fmt.Errorf("host is required when state is started: the address (IP literal or name) consumers reach the registry at")
	case len(p.Listen) == 0:
		return fmt.Errorf("listen: give at least one address (:: serves IPv4 and IPv6)")
	}
	return nil
}
