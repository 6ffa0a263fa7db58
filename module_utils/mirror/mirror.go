// Package mirror holds the buildset registry's namespacing rule, shared by
// every client configuration that points at it.
package mirror

import (
	"fmt"
	"strings"
)

// Location is where mirror keeps the images of registry host: docker.io
// images at its root (docker's registry-mirrors cannot carry a path, so the
// buildset registry stores them un-namespaced), any other registry's under
// a path named for the host.
func Location(mirror, host string) string {
	if host == "docker.io" {
		return mirror
	}
	return mirror + "/" + host
}

// CheckHost reports an h that is not a plain host[:port]; what names it.
func CheckHost(what, h string) error {
	switch {
	case h == "":
		return fmt.Errorf("%s is empty", what)
	case strings.Contains(h, "://"):
		return fmt.Errorf("%s %q must be host[:port], without a scheme", what, h)
	case strings.ContainsAny(h, "/ \t\r\n\"'\\"):
		return fmt.Errorf("%s %q is not host[:port]", what, h)
	}
	return nil
}
