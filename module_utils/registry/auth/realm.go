package auth

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gating/containers/module_utils/registry"
)

// realmFor is the token endpoint URL announced to the client of r: the
// fixed realm if set, else the scheme and Host the client used. A client
// that reached the registry as zuul-jobs.buildset-registry:5000,
// [::1]:5000 or 127.0.0.1:<forwarded port> is sent back the same way. A
// Host that is not a plain host[:port] falls back to the local address
// the connection arrived on.
func (a *Authority) realmFor(r *http.Request) string {
	if a.realm != "" {
		return a.realm
	}
	scheme := "https"
	if r.TLS == nil {
		// Served without TLS (tests, or behind a TLS-terminating
		// proxy, where WithRealm is the right tool): https would point
		// at nothing.
		scheme = "http"
	}
	host := r.Host
	if !validHost(host) {
		host = "localhost"
		if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && validHost(addr.String()) {
			host = addr.String()
		}
	}
	return scheme + "://" + host + TokenPath
}

// validHost reports whether h is host[:port] with host a DNS name, an
// IPv4 literal or a bracketed IPv6 literal without zone: what can go in a
// URL and a quoted challenge parameter unescaped.
func validHost(h string) bool {
	name, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		ip, err := netip.ParseAddr(h[1:end])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return false
		}
		name, port = "", h[end+1:]
		if port != "" && !strings.HasPrefix(port, ":") {
			return false
		}
	} else if i := strings.IndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i:]
		if name == "" {
			return false
		}
	}
	if port != "" {
		digits := port[1:]
		if digits == "" || len(digits) > 5 || strings.Trim(digits, "0123456789") != "" {
			return false
		}
	}
	if name == "" {
		return strings.HasPrefix(h, "[")
	}
	if len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return false
		}
	}
	return true
}

// challenge is the 401 that sends a client to the token endpoint for
// need (nothing for a ping). errCode is RFC 6750's error parameter,
// "invalid_token" or "insufficient_scope", as distribution sends it;
// clients retry once with a fresh token when they see it.
func (a *Authority) challenge(r *http.Request, need access, ping bool, errCode, msg string) error {
	var b strings.Builder
	b.WriteString(`Bearer realm="`)
	b.WriteString(a.realmFor(r))
	b.WriteString(`",service="`)
	b.WriteString(a.service)
	b.WriteByte('"')
	if !ping {
		// Repository names reach here from the URL path: quote them.
		b.WriteString(`,scope="`)
		b.WriteString(escapeQuoted(need.String()))
		b.WriteByte('"')
	}
	if errCode != "" {
		b.WriteString(`,error="`)
		b.WriteString(errCode)
		b.WriteByte('"')
	}
	return &registry.AuthError{Status: http.StatusUnauthorized, Challenge: b.String(), Message: msg}
}

// escapeQuoted makes s safe inside an HTTP quoted-string: '"' and '\'
// become quoted pairs, control characters are dropped.
func escapeQuoted(s string) string {
	if quotable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
