package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/atomicfile"
	"github.com/gating/containers/module_utils/registryd"
	"github.com/gating/containers/module_utils/tlsgen"
)

// The layout of a registry's root directory:
//
//	bin/buildset-registry  the registry binary (a copy of this module)
//	conf/registry.json     0600, its configuration (users, secret)
//	tls/                   ca.crt, cert.pem, cert.key (tlsgen)
//	storage/               the images
//	registry.log           the process's output (process mode)
//	registry.pid           the process's pid (process mode)
const (
	binFile     = "bin/buildset-registry"
	confDir     = "conf"
	confFile    = "conf/registry.json"
	tlsDir      = "tls"
	storageDir  = "storage"
	logFile     = "registry.log"
	pidFile     = "registry.pid"
	confMode    = 0o600
	defaultName = "buildset_registry"
)

// Inside a container, the root's directories are mounted here.
const (
	containerConf    = "/conf"
	containerTLS     = "/tls"
	containerStorage = "/storage"
)

// passwordAlphabet is what upstream's password lookup draws from: letters,
// digits and ".,:-_" (so a password may hold ':').
const passwordAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:-_"

const passwordLength = 20

// deployment is one registry: a root directory and how it runs.
type deployment struct {
	p      *params
	root   string
	host   string // as consumers write it, without brackets
	exe    string // this binary
	exeSum string // its sha256, hex
	rt     runtime
	other  runtime // the process of this root, when rt is a container
}

// status is what runs for a deployment.
type status struct {
	exists  bool   // a process or container of this registry exists
	running bool   // and runs
	current bool   // it runs the expected binary or image, as configured
	pid     int    // process mode
	id      string // container mode
	detail  string // why it is not current
}

// runtime runs the registry one way: a detached process or a container.
type runtime interface {
	kind() string
	// dirs are the TLS and storage directories as the registry sees them.
	dirs() (tls, storage string)
	status(ctx context.Context) (status, error)
	// installed reports whether the binary (or image) to run is in place.
	installed(ctx context.Context) (bool, error)
	install(ctx context.Context) error
	// launch starts the registry; alive reports an instance that died.
	launch(ctx context.Context) (st status, alive func() error, err error)
	stop(ctx context.Context, st status) error
	// logs quotes the registry's last lines of output, for an error.
	logs(ctx context.Context) string
}

func newDeployment(p *params) (*deployment, error) {
	if err := validate(p); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(p.Root)
	if err != nil {
		return nil, fmt.Errorf("root %q: %w", p.Root, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the module's own binary: %w", err)
	}
	sum, err := fileSum(exe)
	if err != nil {
		return nil, fmt.Errorf("reading the module's own binary: %w", err)
	}
	for _, a := range p.Listen {
		if _, err := registryd.ParseListen(a); err != nil {
			return nil, err
		}
	}
	d := &deployment{
		p:      p,
		root:   root,
		host:   strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(p.Host), "["), "]"),
		exe:    exe,
		exeSum: sum,
	}
	proc := &process{d: d}
	d.rt = proc
	if p.ContainerCommand != "none" {
		name := p.ContainerName
		if name == "" {
			name = defaultName
			if p.Port != 5000 {
				name += "_" + strconv.Itoa(p.Port)
			}
		}
		d.rt = &container{d: d, command: p.ContainerCommand, name: name,
			image: "localhost/gating/buildset-registry:" + sum[:12]}
		d.other = proc
	}
	return d, nil
}

func (d *deployment) path(rel string) string { return filepath.Join(d.root, filepath.FromSlash(rel)) }

// config is the configuration this run wants, with the given credentials.
func (d *deployment) config(password, secret string) registryd.Config {
	tls, storage := d.rt.dirs()
	return registryd.Config{
		Version:    registryd.ConfigVersion,
		Listen:     d.p.Listen,
		Port:       d.p.Port,
		TLSDir:     tls,
		StorageDir: storage,
		Secret:     secret,
		Users:      []registryd.User{{Name: d.p.Username, Password: password, Access: "write"}},
	}
}

// credentials are the password and secret to use: the password given,
// else the one the existing configuration holds for the user, else a new
// one (empty in check mode, where nothing would keep it); the secret of
// the existing configuration, else a new one.
func (d *deployment) credentials(m *ansible.Module) (password, secret string) {
	old, err := registryd.Load(d.path(confFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		m.Warn("ignoring the existing configuration, new credentials are generated: %v", err)
	}
	if err == nil {
		secret = old.Secret
		for _, u := range old.Users {
			if u.Name == d.p.Username {
				password = u.Password
			}
		}
	}
	if d.p.Password != "" {
		password = d.p.Password
	}
	if password == "" && !m.CheckMode {
		password = newPassword()
	}
	if secret == "" {
		secret = registryd.NewSecret()
	}
	return password, secret
}

// newPassword draws passwordLength characters uniformly from passwordAlphabet.
func newPassword() string {
	b := make([]byte, passwordLength)
	n := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, n)
		if err != nil {
			panic(err) // crypto/rand does not fail on Linux
		}
		b[i] = passwordAlphabet[k.Int64()]
	}
	return string(b)
}

// record is the buildset_registry return value, what consumers read.
func (d *deployment) record(password string, ca []byte) map[string]any {
	return map[string]any{
		"host":     d.host,
		"port":     d.p.Port,
		"username": d.p.Username,
		"password": password,
		"cert":     string(ca),
	}
}

// plan is what start found: what is there and what would change.
type plan struct {
	st          status
	configData  []byte
	configSame  bool
	configMode  bool // the file's mode is confMode
	tlsCurrent  bool
	ca          []byte
	binCurrent  bool
	otherStatus status
}

func (pl plan) upToDate() bool {
	return pl.st.running && pl.st.current && pl.configSame && pl.tlsCurrent && pl.binCurrent && !pl.otherStatus.exists
}

// reasons say why the registry is (re)started.
func (pl plan) reasons() []string {
	var r []string
	switch {
	case !pl.st.exists:
		r = append(r, "it does not run")
	case !pl.st.running:
		r = append(r, "it is not running")
	case !pl.st.current:
		r = append(r, pl.st.detail)
	}
	if !pl.binCurrent {
		r = append(r, "the registry binary is missing or outdated")
	}
	if !pl.configSame {
		r = append(r, "its configuration changes")
	}
	if !pl.tlsCurrent {
		r = append(r, "its TLS certificate is (re)generated")
	}
	if pl.otherStatus.exists {
		r = append(r, "a registry process of the same root runs and is stopped first")
	}
	return r
}

func (d *deployment) start(ctx context.Context, m *ansible.Module, res ansible.Result) (ansible.Result, error) {
	password, secret := d.credentials(m)
	var pl plan
	var err error
	cfg := d.config(password, secret)
	if pl.configData, err = cfg.Marshal(); err != nil {
		return res, err
	}
	if password != "" {
		if err := cfg.Validate(); err != nil {
			return res, fmt.Errorf("registry configuration: %w", err)
		}
	}
	have, exists, err := atomicfile.Read(d.path(confFile))
	if err != nil {
		return res, fmt.Errorf("reading %s: %w", d.path(confFile), err)
	}
	pl.configSame = exists && bytes.Equal(have, pl.configData)
	if fi, err := os.Stat(d.path(confFile)); err == nil {
		pl.configMode = fi.Mode().Perm() == confMode
	}
	bundle, err := tlsgen.Current(d.path(tlsDir), d.host)
	switch {
	case err == nil:
		pl.tlsCurrent, pl.ca = true, bundle.CAPEM
	case errors.Is(err, tlsgen.ErrStale):
	default:
		return res, err
	}
	if pl.st, err = d.rt.status(ctx); err != nil {
		return res, err
	}
	if pl.binCurrent, err = d.rt.installed(ctx); err != nil {
		return res, err
	}
	if d.other != nil {
		if pl.otherStatus, err = d.other.status(ctx); err != nil {
			return res, err
		}
	}
	d.setInstance(&res, pl.st)
	res.Diffs = []ansible.Diff{{Before: d.describe(pl, false), After: d.describe(pl, true),
		BeforeHeader: d.root + " (before)", AfterHeader: d.root + " (after)"}}

	if pl.upToDate() {
		if !pl.configMode {
			res.Changed = true
			if !m.CheckMode {
				if err := os.Chmod(d.path(confFile), confMode); err != nil {
					return res, fmt.Errorf("setting the mode of %s: %w", d.path(confFile), err)
				}
			}
		}
		res.SetSecret("buildset_registry", d.record(password, pl.ca))
		if m.CheckMode {
			res.Msg = "the registry runs as configured"
			return res, nil
		}
		if err := d.waitReady(ctx, pl.ca, func() error { return nil }); err != nil {
			return res, err
		}
		res.Msg = "the registry runs as configured"
		return res, nil
	}

	res.Changed = true
	verb := "started"
	if pl.st.exists {
		verb = "restarted"
	}
	why := strings.Join(pl.reasons(), "; ")
	if m.CheckMode {
		res.SetSecret("buildset_registry", d.record(password, pl.ca))
		res.Msg = fmt.Sprintf("the registry would be %s: %s", verb, why)
		return res, nil
	}

	if err := os.MkdirAll(d.root, 0o755); err != nil {
		return res, fmt.Errorf("creating the root directory: %w", err)
	}
	if pl.otherStatus.exists {
		if err := d.other.stop(ctx, pl.otherStatus); err != nil {
			return res, err
		}
	}
	if pl.st.exists {
		if err := d.rt.stop(ctx, pl.st); err != nil {
			return res, err
		}
	}
	if !pl.binCurrent {
		if err := d.rt.install(ctx); err != nil {
			return res, err
		}
	}
	if err := d.writeConfig(pl.configData); err != nil {
		return res, err
	}
	bundle, _, err = tlsgen.Ensure(d.path(tlsDir), d.host)
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(d.path(storageDir), 0o755); err != nil {
		return res, fmt.Errorf("creating the storage directory: %w", err)
	}
	res.SetSecret("buildset_registry", d.record(password, bundle.CAPEM))
	st, alive, err := d.rt.launch(ctx)
	d.setInstance(&res, st)
	if err != nil {
		return res, err
	}
	if err := d.waitReady(ctx, bundle.CAPEM, alive); err != nil {
		return res, err
	}
	res.Msg = fmt.Sprintf("the registry %s: %s", verb, why)
	return res, nil
}

func (d *deployment) writeConfig(data []byte) error {
	if err := os.MkdirAll(d.path(confDir), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", d.path(confDir), err)
	}
	path := d.path(confFile)
	// atomicfile keeps the mode of the file it replaces: fix it first.
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != confMode {
		if err := os.Chmod(path, confMode); err != nil {
			return fmt.Errorf("setting the mode of %s: %w", path, err)
		}
	}
	return atomicfile.Write(path, data, confMode)
}

func (d *deployment) stop(ctx context.Context, m *ansible.Module, res ansible.Result) (ansible.Result, error) {
	runtimes := []runtime{d.rt}
	if d.other != nil {
		runtimes = append(runtimes, d.other)
	}
	var stopped []string
	for _, rt := range runtimes {
		st, err := rt.status(ctx)
		if err != nil {
			return res, err
		}
		if !st.exists {
			continue
		}
		res.Changed = true
		stopped = append(stopped, rt.kind())
		if !m.CheckMode {
			if err := rt.stop(ctx, st); err != nil {
				return res, err
			}
		}
	}
	res.Diffs = []ansible.Diff{{
		Before: fmt.Sprintf("registry: %s\n", map[bool]string{true: "running", false: "stopped"}[res.Changed]),
		After:  "registry: stopped\n", BeforeHeader: d.root + " (before)", AfterHeader: d.root + " (after)"}}
	switch {
	case !res.Changed:
		res.Msg = "the registry does not run"
	case m.CheckMode:
		res.Msg = "the registry would be stopped (" + strings.Join(stopped, ", ") + ")"
	default:
		res.Msg = "the registry stopped (" + strings.Join(stopped, ", ") + ")"
	}
	return res, nil
}

// setInstance returns the pid or container id.
func (d *deployment) setInstance(res *ansible.Result, st status) {
	if _, ok := d.rt.(*container); ok {
		res.Set("container", st.id)
		res.Set("image", d.rt.(*container).image)
		return
	}
	res.Set("pid", st.pid)
}

// describe is the state as the diff shows it: before, or after this run.
func (d *deployment) describe(pl plan, after bool) string {
	state := func(ok bool, yes, no string) string {
		if ok || after {
			return yes
		}
		return no
	}
	running := "stopped"
	if pl.st.running || after {
		running = "running (" + d.rt.kind() + ")"
	}
	lines := []string{
		"registry: " + running,
		"binary: " + state(pl.binCurrent && (pl.st.current || !pl.st.running), "current", "outdated or missing"),
		"configuration: " + state(pl.configSame, "current", "differs or missing"),
		"tls: " + state(pl.tlsCurrent, "current", "to be generated"),
	}
	return strings.Join(lines, "\n") + "\n"
}

// fileSum is the hex sha256 of a file.
func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
