package registryd

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gating/containers/module_utils/registry/auth"
)

// ConfigVersion is the version of the configuration format this package
// reads and writes. A file of another version is refused rather than
// half understood.
const ConfigVersion = 1

// DefaultListen is the address served when Config.Listen is empty: every
// local address, IPv4 and IPv6 alike.
const DefaultListen = "::"

// Config is the registry process's configuration file. Paths are as the
// process sees them (inside the container when it runs in one).
type Config struct {
	Version    int      `json:"version"`
	Listen     []string `json:"listen"`      // IP literals; default ["::"]
	Port       int      `json:"port"`        // 0 picks a free port per address (tests)
	TLSDir     string   `json:"tls_dir"`     // holds cert.pem (chain) and cert.key, as tlsgen writes them
	StorageDir string   `json:"storage_dir"` // the registry's content, created if missing
	Secret     string   `json:"secret"`      // base64 of at least auth.SecretSize random bytes
	Users      []User   `json:"users"`
	TokenTTL   Duration `json:"token_ttl,omitempty"`  // 0: auth.DefaultTTL
	UploadTTL  Duration `json:"upload_ttl,omitempty"` // 0: registry.DefaultUploadTTL
}

// User is one account of the registry. Its String omits the password.
type User struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Access   string `json:"access"` // "read" or "write"
}

// String is the user's name and access, without the password.
func (u User) String() string { return fmt.Sprintf("%s (%s)", u.Name, u.Access) }

// GoString is String, so %#v does not print the password either.
func (u User) GoString() string { return "registryd.User{" + u.String() + "}" }

// Duration is a time.Duration written as Go duration text ("6h0m0s").
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads duration text ("90s", "6h").
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration %s: want text such as \"6h\"", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// NewSecret returns a fresh token-signing secret for Config.Secret.
func NewSecret() string {
	b := make([]byte, auth.SecretSize)
	rand.Read(b) // never fails: crypto/rand aborts the program instead
	return base64.StdEncoding.EncodeToString(b)
}

// Load reads and validates a configuration file. Unknown keys are errors:
// a misspelt key would otherwise be silently ignored.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading registry configuration: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("registry configuration %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and validates a configuration.
func Parse(data []byte) (Config, error) {
	var c Config
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return Config{}, err
	}
	if d.More() {
		return Config{}, errors.New("data after the JSON object")
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Marshal is the file's content: indented JSON with a final newline, the
// same bytes for the same Config, so that callers can compare files.
func (c Config) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Validate checks every field and reports every problem at once. Errors
// name users, never passwords, and never quote the secret.
func (c Config) Validate() error {
	var errs []error
	if c.Version != ConfigVersion {
		errs = append(errs, fmt.Errorf("version %d: this registry reads version %d", c.Version, ConfigVersion))
	}
	seen := map[netip.Addr]bool{}
	for _, a := range c.Listen {
		ip, err := ParseListen(a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[ip] {
			errs = append(errs, fmt.Errorf("listen address %q: given twice", a))
		}
		seen[ip] = true
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d: not between 0 and 65535", c.Port))
	}
	for _, d := range []struct{ key, path string }{{"tls_dir", c.TLSDir}, {"storage_dir", c.StorageDir}} {
		if !filepath.IsAbs(d.path) {
			errs = append(errs, fmt.Errorf("%s %q: want an absolute path", d.key, d.path))
		}
	}
	if _, err := c.secret(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.users(); err != nil {
		errs = append(errs, err)
	}
	if c.TokenTTL < 0 || (c.TokenTTL > 0 && time.Duration(c.TokenTTL) < time.Minute) {
		errs = append(errs, fmt.Errorf("token_ttl %s: want at least 1m, or nothing for the default", time.Duration(c.TokenTTL)))
	}
	if c.UploadTTL < 0 {
		errs = append(errs, fmt.Errorf("upload_ttl %s: must not be negative", time.Duration(c.UploadTTL)))
	}
	return errors.Join(errs...)
}

// ParseListen parses a listen address: an IP literal, brackets allowed,
// without zone or port.
func ParseListen(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("listen address %q: want an IP literal such as :: or 127.0.0.1, without port or zone", s)
	}
	return ip, nil
}

// listen is the list of addresses to serve.
func (c Config) listen() []string {
	if len(c.Listen) == 0 {
		return []string{DefaultListen}
	}
	return c.Listen
}

func (c Config) secret() ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(c.Secret)
	if err != nil {
		return nil, errors.New("secret: not base64 text")
	}
	if len(b) < auth.SecretSize {
		return nil, fmt.Errorf("secret: %d bytes, want at least %d", len(b), auth.SecretSize)
	}
	return b, nil
}

func (c Config) users() ([]auth.User, error) {
	out := make([]auth.User, 0, len(c.Users))
	for _, u := range c.Users {
		out = append(out, auth.User{Name: u.Name, Password: u.Password, Access: auth.Access(u.Access)})
	}
	// auth validates names, passwords, accesses and duplicates.
	if _, err := auth.New(auth.WithUsers(out...), auth.WithSecret(make([]byte, auth.SecretSize))); err != nil {
		return nil, err
	}
	return out, nil
}
