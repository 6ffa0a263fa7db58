// Command server serves the buildset registry for the OCI conformance suite
// (tests/conformance/run): storage in a directory (a temporary one by
// default), plain HTTP or TLS, on a loopback address. It prints the URL it
// listens on as the one line of its standard output and stops on SIGINT or
// SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gating/containers/module_utils/registry"
	regauth "github.com/gating/containers/module_utils/registry/auth"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "conformance server:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	dir := fs.String("dir", "", "storage directory (default: a temporary directory, removed on exit)")
	cert := fs.String("cert", "", "TLS certificate file (with -key)")
	key := fs.String("key", "", "TLS key file (with -cert)")
	auth := fs.String("auth", "", "token authentication with this write user, as user:password")
	verbose := fs.Bool("v", false, "log requests that fail to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return errors.New("-cert and -key go together")
	}
	if host, _, err := net.SplitHostPort(*addr); err != nil {
		return err
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %s: only loopback addresses are allowed", *addr)
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "registry-conformance-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	opts := []registry.Option{registry.WithDirectory(*dir)}
	if *verbose {
		opts = append(opts, registry.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	mux := http.NewServeMux()
	if *auth != "" {
		name, password, ok := strings.Cut(*auth, ":")
		if !ok {
			return errors.New("-auth takes user:password")
		}
		a, err := regauth.New(regauth.WithUsers(regauth.User{Name: name, Password: password, Access: regauth.AccessWrite}))
		if err != nil {
			return err
		}
		mux.Handle(regauth.TokenPath, a)
		opts = append(opts, registry.WithAuthorizer(a))
	}
	reg, err := registry.New(opts...)
	if err != nil {
		return err
	}
	defer reg.Close()
	mux.Handle("/", reg)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	fmt.Printf("%s://%s\n", scheme, ln.Addr())

	errc := make(chan error, 1)
	go func() {
		if *cert != "" {
			errc <- srv.ServeTLS(ln, *cert, *key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case err := <-errc:
		return err
	case <-sig:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}
