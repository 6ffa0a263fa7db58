// Command zuul is a stand-in for Zuul that runs jobs' playbooks outside
// Zuul: jobs with parents, buildsets of changes depending on each other,
// paused jobs, returned data and artifacts, Zuul's variables. It runs
// everything on this machine, one job at a time. README.md describes the
// configuration and the semantics.
//
//	go run ./tests/zuul -config tests/e2e/zuul.yaml -work /tmp/zuul-work
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
