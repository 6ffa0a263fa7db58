package retag

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gating/containers/module_utils/imagecopy"
	"github.com/google/go-containerregistry/pkg/name"
)

// Type is the kind of registry, which decides the API tags are removed
// and listed with.
type Type string

// The registry types.
const (
	Auto Type = "auto" // guess from the host
	OCI  Type = "oci"  // the distribution API only
	Hub  Type = "hub"  // Docker Hub: its web API for tags
	Quay Type = "quay" // quay: its API for tags
)

// DetectType guesses a registry's type from its host (a port is ignored).
func DetectType(host string) Type {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	switch strings.ToLower(host) {
	case "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return Hub
	case "quay.io":
		return Quay
	}
	return OCI
}

// Change is what happened, or would happen in a dry run, to one tag: the
// digest it pointed at before and after, "" where it did not exist.
// Before is "unknown" when the API that removed the tag did not say.
type Change struct {
	Tag    string
	Before string
	After  string
}

// Tag is a tag as the listing API reports it, with the time it last
// changed (zero when unknown).
type Tag struct {
	Name    string
	Digest  string
	Updated time.Time
}

// ErrNotFound marks a tag or manifest the registry does not have.
var ErrNotFound = errors.New("not found")

// ErrDeleteUnsupported marks a registry that deletes neither tags nor
// manifests (distribution without storage.delete.enabled, for one).
var ErrDeleteUnsupported = errors.New("the registry deletes neither tags nor manifests")

// tagService removes and lists tags, through the API of the registry's
// type.
type tagService interface {
	// lookup tells whether tag exists and, when the API says, its digest.
	lookup(ctx context.Context, tag string) (digest string, found bool, err error)
	// remove deletes tag; ErrNotFound when it is already gone.
	remove(ctx context.Context, tag string) error
	// list returns the tags whose names match, with their times.
	list(ctx context.Context, match func(string) bool) ([]Tag, error)
}

// Client retags, removes and prunes the tags of one repository. It
// remembers what the registry was found to support, and is not safe for
// concurrent use.
type Client struct {
	repo name.Repository
	typ  Type
	o    options
	reg  *registry
	tags tagService
}

// New returns a Client for image, a repository reference without tag or
// digest (host[:port]/path, or a Docker Hub name such as library/busybox
// or busybox). It does no network I/O.
func New(image string, opts ...Option) (*Client, error) {
	o, err := build(opts)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", image, err)
	}
	var nopts []name.Option
	if o.endpoint.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	repo, err := name.NewRepository(image, nopts...)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w (give host[:port]/path, without tag or digest)", image, err)
	}
	c := &Client{repo: repo, typ: o.typ, o: o}
	if c.typ == Auto {
		c.typ = DetectType(repo.RegistryStr())
	}
	// The endpoint's TLS and retries; plain HTTP where the URL has it:
	// an API URL given so, or a loopback or private registry, which
	// go-containerregistry (like docker) reaches without TLS.
	t, err := o.endpoint.HTTPTransport(1)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", image, err)
	}
	base := imagecopy.Retry{Retries: o.retries, Delay: o.backoff, MaxDelay: MaxBackoff}.RoundTripper(t)
	c.reg = &registry{repo: repo, base: base, o: o}
	client := &http.Client{Transport: base}
	switch c.typ {
	case Hub:
		c.tags = &hubAPI{base: strings.TrimRight(o.hubAPI, "/"), repo: repo.RepositoryStr(), client: client, o: o}
	case Quay:
		api := o.quayAPI
		if api == "" {
			api = "https://" + repo.RegistryStr()
		}
		c.tags = &quayAPI{base: strings.TrimRight(api, "/"), repo: repo.RepositoryStr(), client: client, o: o}
	default:
		c.tags = &ociTags{reg: c.reg, pageSize: o.pageSize}
	}
	return c, nil
}

// Type is the registry type in use (never Auto).
func (c *Client) Type() Type { return c.typ }

// Repository is the repository's full name (host/path).
func (c *Client) Repository() string { return c.repo.Name() }

var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

func checkTag(tag string) error {
	if !tagPattern.MatchString(tag) {
		return fmt.Errorf("tag %q: not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})", tag)
	}
	return nil
}

// unique drops repeated entries, keeping the first of each.
func unique(items []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range items {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
