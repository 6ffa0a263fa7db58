// Command dockerfile_bases lists the external images a Dockerfile builds
// from and which of them the buildset registry holds - the speculative
// ones - with the reference to pull each from and the local name to tag it
// as, so that a build uses them before anything upstream.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/dockerfile"
	"github.com/gating/containers/module_utils/dockerfile/lookup"
	"github.com/gating/containers/module_utils/imagecopy"
	"github.com/gating/containers/module_utils/mirror"
)

type params struct {
	Path      string   `ansible:"path,required" type:"path"`
	BuildArgs []string `ansible:"build_args"`
	Target    string   `ansible:"target"`
	// The buildset registry; only the password is secret, so that the
	// host and port stay readable in msg and in every pull reference.
	RegistryHost     string `ansible:"registry_host"`
	RegistryPort     *int   `ansible:"registry_port"` // nil: not given
	RegistryUsername string `ansible:"registry_username"`
	RegistryPassword string `ansible:"registry_password,no_log"`
	RegistryCA       string `ansible:"registry_ca"`
	Alias            string `ansible:"alias"`
	Retries          int    `ansible:"retries" default:"3"`
}

// defaultAlias is the name docker knows a buildset registry at an IP
// address by (use_buildset_registry puts it in /etc/hosts).
const defaultAlias = "zuul-jobs.buildset-registry"

// base is one image of the result.
type base struct {
	Name        string `json:"name"`
	Canonical   string `json:"canonical"`
	Tag         string `json:"tag"`
	Retag       bool   `json:"retag"`
	Location    string `json:"location"`
	Speculative bool   `json:"speculative"`
	Digest      string `json:"digest,omitempty"`
	Pull        string `json:"pull,omitempty"`
}

func main() { os.Exit(ansible.Main(run)) }

func run(_ *ansible.Module, p *params) (res ansible.Result, _ error) {
	if err := imagecopy.CheckRetries(p.Retries); err != nil {
		return res, err
	}
	args, err := dockerfile.BuildArgs(p.BuildArgs, os.LookupEnv)
	if err != nil {
		return res, fmt.Errorf("build_args: %w", err)
	}
	images, err := dockerfile.ParseFile(p.Path, dockerfile.WithBuildArgs(args), dockerfile.WithTarget(p.Target))
	if err != nil {
		return res, err
	}
	reg, mirrorHost, err := buildsetRegistry(p)
	if err != nil {
		return res, err
	}
	bases, speculative := []base{}, []base{}
	for _, img := range images {
		b := base{
			Name: img.Name, Canonical: img.Canonical(), Tag: img.Familiar(), Retag: img.Digest == "",
			Location: img.Location(),
		}
		if reg != nil {
			digest, found, err := reg.Digest(context.Background(), img.Location(), img.Identifier())
			if err != nil {
				return res, fmt.Errorf("looking up %s (%s) in the buildset registry: %w", img.Name, img.Canonical(), err)
			}
			if found {
				b.Speculative, b.Digest = true, digest
				b.Pull = mirrorHost + "/" + img.Location() + "@" + digest
				speculative = append(speculative, b)
			}
		}
		bases = append(bases, b)
	}
	res.Set("images", bases).Set("speculative", speculative)
	res.Msg = message(reg, bases, speculative)
	return res, nil
}

// buildsetRegistry reads the registry_* options and alias: the registry to
// ask, and the host:port docker pulls from it by. No registry_host, no
// registry.
func buildsetRegistry(p *params) (*lookup.Registry, string, error) {
	host := strings.TrimSuffix(strings.TrimPrefix(p.RegistryHost, "["), "]")
	if host == "" {
		if given := registryOptions(p); len(given) > 0 {
			verb := "is"
			if len(given) > 1 {
				verb = "are"
			}
			return nil, "", fmt.Errorf("%s %s given but registry_host is not", strings.Join(given, ", "), verb)
		}
		return nil, "", nil
	}
	if err := mirror.CheckHost("registry_host", host); err != nil {
		return nil, "", err
	}
	if p.RegistryPort == nil {
		return nil, "", fmt.Errorf("registry_host %q is given but registry_port is not", p.RegistryHost)
	}
	port := *p.RegistryPort
	if port < 1 || port > 65535 {
		return nil, "", fmt.Errorf("registry_port %d: want 1 to 65535", port)
	}
	e := imagecopy.Endpoint{Username: p.RegistryUsername, Password: p.RegistryPassword}
	switch {
	case e.Username != "" && e.Password == "":
		return nil, "", errors.New("registry_username is given but registry_password is not")
	case e.Username == "" && e.Password != "":
		return nil, "", errors.New("registry_password is given but registry_username is not")
	case strings.ContainsRune(e.Username, ':'):
		return nil, "", fmt.Errorf("registry_username %q: a user name may not contain ':'", e.Username)
	}
	if p.RegistryCA != "" {
		e.CA = []byte(p.RegistryCA)
	}
	if err := e.Check(); err != nil {
		return nil, "", fmt.Errorf("registry_ca: %w", err)
	}
	reg, err := lookup.New(host, port, lookup.WithEndpoint(e), lookup.WithRetries(p.Retries),
		lookup.WithUserAgent("gating.containers.dockerfile_bases"))
	if err != nil {
		return nil, "", fmt.Errorf("buildset registry: %w", err)
	}
	alias := p.Alias
	switch {
	case alias == "" && net.ParseIP(host) != nil:
		alias = defaultAlias
	case alias == "":
		alias = host
	default:
		if err := mirror.CheckHost("alias", alias); err != nil {
			return nil, "", err
		}
	}
	return reg, net.JoinHostPort(alias, strconv.Itoa(port)), nil
}

// registryOptions names the registry_* options given besides registry_host.
func registryOptions(p *params) []string {
	var given []string
	for _, o := range []struct {
		name string
		set  bool
	}{
		{"registry_port", p.RegistryPort != nil},
		{"registry_username", p.RegistryUsername != ""},
		{"registry_password", p.RegistryPassword != ""},
		{"registry_ca", p.RegistryCA != ""},
	} {
		if o.set {
			given = append(given, o.name)
		}
	}
	return given
}

func message(reg *lookup.Registry, bases, speculative []base) string {
	if reg == nil {
		return fmt.Sprintf("%d base image(s); no buildset registry given, so none is speculative", len(bases))
	}
	names := make([]string, len(speculative))
	for i, b := range speculative {
		names[i] = b.Tag
	}
	msg := fmt.Sprintf("%d of %d base image(s) speculative", len(speculative), len(bases))
	if len(names) > 0 {
		msg += ": " + strings.Join(names, ", ")
	}
	return msg
}
