package imagecopy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// transportPrefix is how skopeo (and zuul artifacts' urls) mark a
// registry reference.
const transportPrefix = "docker://"

// ParseReference parses an image reference written the way skopeo's
// docker transport writes it ("docker://host:port/repo:tag") or plainly
// ("host:port/repo:tag", "[::1]:5000/repo@sha256:..."). Without a tag or
// digest it names the tag latest. insecure lets the registry be reached
// over plain HTTP.
func ParseReference(s string, insecure bool) (name.Reference, error) {
	rest := strings.TrimPrefix(s, transportPrefix)
	if i := strings.Index(rest, "://"); i >= 0 {
		return nil, fmt.Errorf("image reference %q: only the docker:// transport is supported, not %s", s, rest[:i+3])
	}
	if t, after, ok := strings.Cut(rest, ":"); ok && otherTransports[t] && !hostPort.MatchString(after) {
		return nil, fmt.Errorf("image reference %q: only the docker:// transport is supported, not %s:", s, t)
	}
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(rest, opts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", s, err)
	}
	return ref, nil
}

// otherTransports are skopeo's other transports, which a registry
// reference cannot start with (a registry host has a dot, a port or is
// localhost).
var otherTransports = map[string]bool{
	"containers-storage": true, "dir": true, "docker": true, "docker-archive": true,
	"docker-daemon": true, "oci": true, "oci-archive": true, "ostree": true, "sif": true, "tarball": true,
}

// hostPort is what follows the host of a registry reference with a port.
var hostPort = regexp.MustCompile(`^[0-9]+/`)

// display writes a reference as the docker:// transport does, for
// messages.
func display(s string) string {
	if strings.HasPrefix(s, transportPrefix) {
		return s
	}
	return transportPrefix + s
}
