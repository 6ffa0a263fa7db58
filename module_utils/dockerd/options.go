package dockerd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Manager is what starts and stops the daemon.
type Manager string

const (
	Auto    Manager = "auto"    // systemd when the host booted with it, else direct
	Systemd Manager = "systemd" // systemctl on the docker and docker.socket units
	Direct  Manager = "direct"  // dockerd run as a detached process, found by its pidfile
)

// dockerd's own defaults: flags are passed only for values that differ, so
// the same keys may be set in daemon.json (dockerd refuses a key given both
// as a flag and in the file).
const (
	DefaultSocket  = "/var/run/docker.sock"
	DefaultPidfile = "/var/run/docker.pid"
	DefaultLogFile = "/var/log/dockerd.log"
	DefaultTimeout = 60 * time.Second
)

// systemdRuntimeDir exists only when the host booted with systemd (sd_booted(3)).
const systemdRuntimeDir = "/run/systemd/system"

// Detect returns Systemd when the host booted with systemd, else Direct.
func Detect() Manager { return detect(systemdRuntimeDir) }

func detect(dir string) Manager {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return Systemd
	}
	return Direct
}

type options struct {
	manager   Manager
	socket    string
	pidfile   string
	logFile   string
	binary    string
	systemctl string
	timeout   time.Duration
}

// Option changes how a Daemon is controlled.
type Option func(*options) error

// WithManager picks the manager; Auto (the default) detects it.
func WithManager(m Manager) Option {
	return func(o *options) error {
		switch m {
		case Auto, Systemd, Direct:
			o.manager = m
			return nil
		}
		return fmt.Errorf("manager %q: want %s, %s or %s", m, Auto, Systemd, Direct)
	}
}

// WithSocket sets the unix socket the API is pinged on (and, for the direct
// manager, the one dockerd listens on). Default DefaultSocket.
func WithSocket(path string) Option {
	return pathOption("socket", path, func(o *options) { o.socket = path })
}

// WithPidfile sets dockerd's pidfile (direct manager). Default DefaultPidfile.
func WithPidfile(path string) Option {
	return pathOption("pidfile", path, func(o *options) { o.pidfile = path })
}

// WithLogFile sets the file dockerd's output is appended to (direct
// manager). Default DefaultLogFile.
func WithLogFile(path string) Option {
	return pathOption("log file", path, func(o *options) { o.logFile = path })
}

// WithBinary sets the dockerd executable (direct manager). By default it is
// looked up on PATH, then in /usr/sbin, /usr/bin and /usr/local/bin.
func WithBinary(path string) Option {
	return pathOption("dockerd binary", path, func(o *options) { o.binary = path })
}

// WithSystemctl sets the systemctl executable (systemd manager).
func WithSystemctl(path string) Option {
	return pathOption("systemctl", path, func(o *options) { o.systemctl = path })
}

// WithTimeout bounds each operation, waiting for the API included.
// Default DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("timeout %s: must be positive", d)
		}
		o.timeout = d
		return nil
	}
}

func pathOption(what, path string, apply func(*options)) Option {
	return func(o *options) error {
		if path == "" {
			return fmt.Errorf("%s: empty path", what)
		}
		apply(o)
		return nil
	}
}

func newOptions(opts []Option) (options, error) {
	o := options{
		manager:   Auto,
		socket:    DefaultSocket,
		pidfile:   DefaultPidfile,
		logFile:   DefaultLogFile,
		systemctl: "systemctl",
		timeout:   DefaultTimeout,
	}
	var errs []error
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("dockerd options: %w", err)
	}
	if o.manager == Auto {
		o.manager = Detect()
	}
	for _, p := range []*string{&o.socket, &o.pidfile, &o.logFile} {
		if abs, err := filepath.Abs(*p); err == nil {
			*p = abs
		}
	}
	return o, nil
}
