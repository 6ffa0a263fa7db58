// Package dockerd starts, stops, reloads and restarts the docker daemon,
// with systemd where the host booted with it and directly where there is no
// init system, and waits until the daemon's API answers.
//
// "Answers" means GET /_ping over the daemon's unix socket returns 200 "OK":
// a unit reported active, or a process that exists, may still be unable to
// serve a `docker` command, and a play that goes on before the API is up
// fails at its next docker task instead of here, where the cause is known.
//
// Without systemd, dockerd is run detached in its own session with its
// output appended to a log file, so it outlives the task and the play, and
// the pidfile that dockerd writes itself is how it is found again later.
package dockerd
