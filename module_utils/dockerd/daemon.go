package dockerd

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotRunning is wrapped by the error of an operation that needs a
// running daemon (Reload) when there is none.
var ErrNotRunning = errors.New("dockerd is not running")

// Status is what is known of the daemon at one moment.
type Status struct {
	Manager Manager
	Running bool // the daemon is up, though it may still be starting
	Ready   bool // the API answers GET /_ping
	Pid     int  // 0 when not running or not known
}

// controller is one manager's way of doing each operation. Each returns
// once the API answers (or, for stop, is gone), or ctx ends.
type controller interface {
	status(ctx context.Context) (Status, error)
	start(ctx context.Context) error
	stop(ctx context.Context) error
	reload(ctx context.Context) error
	restart(ctx context.Context) error
}

// Daemon controls one docker daemon.
type Daemon struct {
	opts options
	ctl  controller
}

// New returns a Daemon controlled as opts say; a bad option is an error
// here, before anything is touched.
func New(opts ...Option) (*Daemon, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	d := &Daemon{opts: o}
	switch o.manager {
	case Systemd:
		d.ctl = &systemd{opts: o}
	default:
		d.ctl = &direct{opts: o}
	}
	return d, nil
}

// Manager is the manager in use (Auto resolved).
func (d *Daemon) Manager() Manager { return d.opts.manager }

// Status says whether the daemon runs, its pid, and whether the API answers.
func (d *Daemon) Status(ctx context.Context) (Status, error) {
	ctx, cancel := d.bound(ctx)
	defer cancel()
	return d.ctl.status(ctx)
}

// Start starts the daemon unless it runs, and returns once the API answers.
func (d *Daemon) Start(ctx context.Context) error {
	ctx, cancel := d.bound(ctx)
	defer cancel()
	return d.ctl.start(ctx)
}

// Stop stops the daemon if it runs, and returns once it is gone.
func (d *Daemon) Stop(ctx context.Context) error {
	ctx, cancel := d.bound(ctx)
	defer cancel()
	return d.ctl.stop(ctx)
}

// Reload makes the running daemon re-read its configuration (SIGHUP);
// running containers keep running. Without a running daemon the error wraps
// ErrNotRunning.
func (d *Daemon) Reload(ctx context.Context) error {
	ctx, cancel := d.bound(ctx)
	defer cancel()
	return d.ctl.reload(ctx)
}

// Restart stops the daemon if it runs, starts it, and returns once the API
// answers.
func (d *Daemon) Restart(ctx context.Context) error {
	ctx, cancel := d.bound(ctx)
	defer cancel()
	return d.ctl.restart(ctx)
}

func (d *Daemon) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.opts.timeout)
}

// State is a state Ensure brings the daemon to, named as
// ansible.builtin.service names them.
type State string

const (
	Started   State = "started"   // running, API answering; started only if needed
	Stopped   State = "stopped"   // not running; stopped only if needed
	Reloaded  State = "reloaded"  // reloaded if running, else started
	Restarted State = "restarted" // restarted if running, else started
)

// Action is what Ensure did, or would do.
type Action string

const (
	None    Action = ""
	Start   Action = "start"
	Stop    Action = "stop"
	Reload  Action = "reload"
	Restart Action = "restart"
)

// Outcome is Ensure's report.
type Outcome struct {
	Action Action // what was (or, on a dry run, would be) done
	Status Status // after the action; before it on a dry run
}

// Changed reports whether the daemon's state was (or would be) changed.
func (o Outcome) Changed() bool { return o.Action != None }

// Ensure brings the daemon to state s. Started and Stopped act only when the
// daemon is not already so; Reloaded and Restarted always act, starting a
// daemon that is down. With dryRun it only says what it would do. The whole
// call is bounded by the timeout.
func (d *Daemon) Ensure(ctx context.Context, s State, dryRun bool) (Outcome, error) {
	ctx, cancel := d.bound(ctx)
	defer cancel()
	st, err := d.ctl.status(ctx)
	out := Outcome{Status: st}
	if err != nil {
		return out, err
	}
	var do func(context.Context) error
	switch s {
	case Started:
		if !st.Running {
			out.Action, do = Start, d.ctl.start
		} else if !st.Ready && !dryRun {
			// Up but not answering yet (starting): wait for it, change nothing.
			do = d.ctl.start
		}
	case Stopped:
		if st.Running {
			out.Action, do = Stop, d.ctl.stop
		}
	case Reloaded, Restarted:
		switch {
		case !st.Running:
			out.Action, do = Start, d.ctl.start
		case s == Reloaded:
			out.Action, do = Reload, d.ctl.reload
		default:
			out.Action, do = Restart, d.ctl.restart
		}
	default:
		return out, fmt.Errorf("state %q: want %s, %s, %s or %s", s, Started, Stopped, Reloaded, Restarted)
	}
	if dryRun || do == nil {
		return out, nil
	}
	if err := do(ctx); err != nil {
		// Report the state the failure left, even when the timeout is spent.
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 2*pingTimeout)
		defer scancel()
		if st2, serr := d.ctl.status(sctx); serr == nil {
			out.Status = st2
		}
		return out, err
	}
	out.Status, err = d.ctl.status(ctx)
	return out, err
}
