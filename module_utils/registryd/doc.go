// Package registryd is the buildset registry as a process: it reads a
// Config (a JSON file the buildset_registry module writes), and serves the
// registry (module_utils/registry) with its token endpoint
// (module_utils/registry/auth) over HTTPS on every configured address,
// until its context ends.
//
// The same Config runs the registry as a detached process on the host or
// as a container with host networking; only the paths differ. One
// listener on "::" serves IPv4 and IPv6 (Linux's default bindv6only=0),
// which is what upstream needed socat for.
//
//	cfg, err := registryd.Load("/root/buildset_registry/conf/registry.json")
//	err = registryd.Run(ctx, cfg, registryd.WithLogger(logger))
package registryd
