package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gating/containers/module_utils/registryd"
)

// serveCommand is argv[1] of the registry process. Ansible never passes
// it: it runs a binary module with the path of an arguments file.
const serveCommand = "serve"

// serve is `buildset_registry serve --config <file>`: the registry, in the
// foreground, logging to stderr, until SIGTERM or SIGINT. It returns the
// exit code.
func serve(args []string) int {
	return serveWith(args, os.Stderr, func(ctx context.Context) (context.Context, context.CancelFunc) {
		return signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	})
}

func serveWith(args []string, stderr io.Writer, stopOn func(context.Context) (context.Context, context.CancelFunc)) int {
	fs := flag.NewFlagSet("buildset_registry serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "the registry's configuration file (JSON, written by the buildset_registry module)")
	debug := fs.Bool("debug", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *config == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: buildset_registry serve --config <file> [--debug]")
		return 2
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := registryd.Load(*config)
	if err != nil {
		log.Error("cannot start", "error", err)
		return 1
	}
	ctx, stop := stopOn(context.Background())
	defer stop()
	log.Info("starting", "config", *config, "pid", os.Getpid())
	if err := registryd.Run(ctx, cfg, registryd.WithLogger(log)); err != nil {
		log.Error("stopped", "error", err)
		return 1
	}
	log.Info("stopped")
	return 0
}
