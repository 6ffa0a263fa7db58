package main

import (
	"context"
	"errors"

	"github.com/gating/containers/module_utils/dockerd"
)

// reloadDocker makes a running dockerd re-read daemon.json (SIGHUP, or
// systemctl reload under systemd) and waits until its API answers again. A
// daemon that is not running reads the file when it starts: nothing to do.
func reloadDocker() (bool, error) {
	d, err := dockerd.New()
	if err != nil {
		return false, err
	}
	err = d.Reload(context.Background())
	if errors.Is(err, dockerd.ErrNotRunning) {
		return false, nil
	}
	return err == nil, err
}
