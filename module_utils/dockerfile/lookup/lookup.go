// Package lookup asks a registry - the buildset registry - whether it holds
// an image, and its digest: one manifest HEAD by tag or digest, with
// imagecopy's endpoint (credentials and CA in memory, plain HTTP refused)
// and retries.
//
// "No such manifest or repository" (404, NAME_UNKNOWN, MANIFEST_UNKNOWN) is
// an answer; anything else - a refused connection, a TLS error, a registry
// that is not one, 401, 5xx after the retries - is an error naming the
// registry, so that a registry that is down never passes for one that
// holds nothing.
//
// The package writes no logs and prints nothing.
package lookup

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gating/containers/module_utils/imagecopy"
	"github.com/gating/containers/module_utils/mirror"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Registry answers which images one registry holds.
type Registry struct {
	addr   string
	puller *remote.Puller
}

// New prepares a Registry at host (an IP literal, brackets allowed, or a
// DNS name) and port; a bad or conflicting option fails here. It does no
// network I/O.
func New(host string, port int, opts ...Option) (*Registry, error) {
	o, err := build(opts)
	if err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if err := mirror.CheckHost("registry host", host); err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("lookup: registry port %d: want 1 to 65535", port)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	if _, err := name.NewRegistry(addr); err != nil {
		return nil, fmt.Errorf("lookup: registry %s: %w", addr, err)
	}
	t, err := o.endpoint.Transport(1)
	if err != nil {
		return nil, fmt.Errorf("lookup: registry %s: %w", addr, err)
	}
	// The retries are imagecopy's, the same as a copy's; go-containerregistry's
	// own are turned off so that a request is not retried twice over.
	rt := imagecopy.Retry{Retries: o.retries, Delay: o.delay, MaxDelay: imagecopy.DefaultMaxRetryDelay}.RoundTripper(t)
	puller, err := remote.NewPuller(
		remote.WithTransport(rt),
		remote.WithAuth(o.endpoint.Authenticator()),
		remote.WithUserAgent(o.userAgent),
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryStatusCodes(),
	)
	if err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	return &Registry{addr: addr, puller: puller}, nil
}

// Addr is the registry's host:port ([host]:port for IPv6).
func (r *Registry) Addr() string { return r.addr }

// Digest tells the digest of the manifest identifier (a tag, or a digest
// of the form algorithm:hex) names in repository, and whether there is
// one. A registry whose HEAD answers carry no Docker-Content-Digest (as
// zuul-registry's, for BuildKit's sake) is asked again with a GET.
func (r *Registry) Digest(ctx context.Context, repository, identifier string) (string, bool, error) {
	ref, err := r.reference(repository, identifier)
	if err != nil {
		return "", false, err
	}
	desc, err := r.puller.Head(ctx, ref)
	if err == nil {
		return desc.Digest.String(), true, nil
	}
	if absent(err) {
		return "", false, nil
	}
	if failed(err) {
		return "", false, r.wrap(ref, err)
	}
	got, err := r.puller.Get(ctx, ref)
	switch {
	case err == nil:
		return got.Digest.String(), true, nil
	case absent(err):
		return "", false, nil
	}
	return "", false, r.wrap(ref, err)
}

func (r *Registry) reference(repository, identifier string) (name.Reference, error) {
	s := r.addr + "/" + repository
	if strings.Contains(identifier, ":") {
		s += "@" + identifier
	} else {
		s += ":" + identifier
	}
	ref, err := name.ParseReference(s)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %s %s: %w", r.addr, repository, identifier, err)
	}
	return ref, nil
}

func (r *Registry) wrap(ref name.Reference, err error) error {
	return fmt.Errorf("registry %s: manifest %s of %s: %w", r.addr, ref.Identifier(), ref.Context().RepositoryStr(), err)
}

// absent tells the registry's answer that it has no such manifest or
// repository - on the manifest's URL: the same codes from the ping or the
// token service mean something else is wrong.
func absent(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) || te.Request == nil || !strings.Contains(te.Request.URL.Path, "/manifests/") {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		if d.Code == transport.NameUnknownErrorCode || d.Code == transport.ManifestUnknownErrorCode {
			return true
		}
	}
	return false
}

// failed tells a failure of the registry or the connection (an answer
// other than 200, or none) from a 200 answer go-containerregistry could
// not use.
func failed(err error) bool {
	var (
		te *transport.Error
		ue *url.Error
		ne net.Error
	)
	return errors.As(err, &te) || errors.As(err, &ue) || errors.As(err, &ne) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
