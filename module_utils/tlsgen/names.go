package tlsgen

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// Alias is the name nodes give the buildset registry in /etc/hosts when
// its host is an IP literal, since image references cannot hold an IPv6
// literal.
const Alias = "zuul-jobs.buildset-registry"

// fixedNames are covered whatever the host: the alias, and the loopback
// names through which the executor's forwarder and local clients connect.
var fixedNames = []string{Alias, "localhost", "127.0.0.1", "::1"}

// name is one subject alternative name.
type name struct {
	dns string     // lowercased DNS name, or ""
	ip  netip.Addr // valid for an IP literal
}

// String is how a client would write the name to verify it.
func (n name) String() string {
	if n.ip.IsValid() {
		return n.ip.String()
	}
	return n.dns
}

// parseName parses a host as given: an IPv4 or IPv6 literal (brackets
// allowed) or a DNS name. A port, a zone or a wildcard is an error.
func parseName(s string) (name, error) {
	h := strings.TrimSpace(s)
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.Zone() != "" {
			return name{}, fmt.Errorf("host %q: an IP address with a zone cannot be a certificate name", s)
		}
		return name{ip: ip.Unmap()}, nil
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || len(h) > 253 {
		return name{}, fmt.Errorf("host %q: not an IP address or DNS name", s)
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' ||
			strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return name{}, fmt.Errorf("host %q: not an IP address or DNS name (no port, no wildcard)", s)
		}
	}
	return name{dns: h}, nil
}

// sans returns the names a certificate for host must cover, without
// duplicates: the fixed names, the host, then extra.
func sans(host string, extra []string) ([]name, error) {
	var out []name
	for _, s := range slices.Concat(fixedNames, []string{host}, extra) {
		n, err := parseName(s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// split separates names into the certificate's DNS and IP fields.
func split(names []name) (dns []string, ips []net.IP) {
	for _, n := range names {
		if n.ip.IsValid() {
			ips = append(ips, net.IP(n.ip.AsSlice()))
		} else {
			dns = append(dns, n.dns)
		}
	}
	return dns, ips
}
