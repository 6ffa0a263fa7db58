//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/registry/auth"
	"github.com/stretchr/testify/require"
)

// clientTimeout bounds one client command; a large push takes seconds.
const clientTimeout = 5 * time.Minute

// skopeo runs skopeo against a test registry with a private home: its
// own auth file, an empty registries.conf, and the registry's CA as the
// only trust for it. Nothing of root's configuration is read or written.
type skopeo struct {
	t   *testing.T
	s   *server
	env []string
}

func newSkopeo(t *testing.T, s *server) *skopeo {
	t.Helper()
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Fatalf("skopeo is required: %v", err)
	}
	home := t.TempDir()
	conf := filepath.Join(home, "registries.conf")
	require.NoError(t, os.WriteFile(conf, []byte("unqualified-search-registries = []\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(home, "run"), 0o700))
	return &skopeo{t: t, s: s, env: isolatedEnv(
		"HOME="+home,
		"XDG_RUNTIME_DIR="+filepath.Join(home, "run"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"REGISTRY_AUTH_FILE="+filepath.Join(home, "auth.json"),
		"CONTAINERS_REGISTRIES_CONF="+conf,
	)}
}

// isolatedEnv is the test's environment with the given variables
// replaced.
func isolatedEnv(vars ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, v := range vars {
			if strings.HasPrefix(v, k+"=") {
				keep = false
			}
		}
		if keep {
			env = append(env, kv)
		}
	}
	return append(env, vars...)
}

// command is a skopeo command bound to ctx; global flags come first.
func (k *skopeo) command(ctx context.Context, stdin string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, "skopeo", append([]string{"--insecure-policy"}, args...)...)
	cmd.Env = k.env
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	return cmd, &out
}

// run runs skopeo to the end and returns its output (stdout and stderr).
func (k *skopeo) run(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd, out := k.command(ctx, stdin, args...)
	err := cmd.Run()
	k.t.Logf("skopeo %s: %v", strings.Join(args, " "), err)
	return out.String(), err
}

// login stores credentials for the registry in the private auth file.
func (k *skopeo) login(user, password string) (string, error) {
	return k.run(password+"\n", "login", "--cert-dir", k.s.certDir, "--password-stdin", "-u", user, k.s.host)
}

// copyArgs are the arguments of a copy that must keep every digest.
func (k *skopeo) copyArgs(src, dst string, extra ...string) []string {
	args := []string{"copy", "--all", "--preserve-digests", "--retry-times", "0",
		"--src-cert-dir", k.s.certDir, "--dest-cert-dir", k.s.certDir}
	return append(append(args, extra...), src, dst)
}

func (k *skopeo) copy(src, dst string, extra ...string) (string, error) {
	return k.run("", k.copyArgs(src, dst, extra...)...)
}

// inspectRaw returns the manifest skopeo reads for ref (docker://...).
func (k *skopeo) inspectRaw(ref string, extra ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	args := append([]string{"inspect", "--raw", "--cert-dir", k.s.certDir}, extra...)
	cmd, _ := k.command(ctx, "", append(args, ref)...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	out, err := cmd.Output()
	if err != nil {
		k.t.Logf("skopeo inspect --raw %s: %v: %s", ref, err, stderr.String())
	}
	return out, err
}

// docker refers to the registry as 127.0.0.1:<port>.
func (s *server) ref(repo, tag string) string { return "docker://" + s.host + "/" + repo + ":" + tag }

// challenge parses a Bearer challenge's parameters (and "scheme").
func challenge(h string) map[string]string {
	scheme, rest, _ := strings.Cut(h, " ")
	out := map[string]string{"scheme": scheme}
	for _, m := range challengeParam.FindAllStringSubmatch(rest, -1) {
		out[m[1]] = m[2]
	}
	return out
}

var challengeParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// tokenFor asks the token endpoint at realm (from a challenge) for
// scopes, with Basic credentials unless user is empty.
func (s *server) tokenFor(realm, service, user, password string, scopes ...string) (int, string) {
	t := s.t
	t.Helper()
	q := url.Values{}
	q.Set("service", service)
	for _, sc := range scopes {
		q.Add("scope", sc)
	}
	authz := ""
	if user != "" {
		authz = basic(user, password)
	}
	r := s.do(http.MethodGet, realm+"?"+q.Encode(), authz, nil)
	if r.status != http.StatusOK {
		return r.status, ""
	}
	var tr struct {
		Token string `json:"token"`
	}
	require.NoError(t, json.Unmarshal(r.body, &tr))
	require.NotEmpty(t, tr.Token)
	return r.status, tr.Token
}

// token asks this registry's token endpoint for scopes.
func (s *server) token(user, password string, scopes ...string) (int, string) {
	return s.tokenFor(s.url(auth.TokenPath), auth.DefaultService, user, password, scopes...)
}

// tokenClaims are the claims of the registry's tokens, for forging.
type tokenClaims struct {
	Issuer    string        `json:"iss"`
	Subject   string        `json:"sub"`
	Audience  string        `json:"aud"`
	ExpiresAt int64         `json:"exp"`
	NotBefore int64         `json:"nbf"`
	IssuedAt  int64         `json:"iat"`
	ID        string        `json:"jti"`
	Access    []tokenAccess `json:"access"`
}

type tokenAccess struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// validClaims are what the registry would issue writeUser for pushing to
// repo now.
func validClaims(repo string) tokenClaims {
	now := time.Now()
	return tokenClaims{
		Issuer:    "gating.containers/buildset-registry",
		Subject:   writeUser,
		Audience:  auth.DefaultService,
		ExpiresAt: now.Add(time.Hour).Unix(),
		NotBefore: now.Unix(),
		IssuedAt:  now.Unix(),
		ID:        randomHex(8),
		Access:    []tokenAccess{{Type: "repository", Name: repo, Actions: []string{"pull", "push"}}},
	}
}

var jwtB64 = base64.RawURLEncoding

// signJWT encodes a JWT with the given header; with alg HS256 it is
// signed with secret, otherwise the signature is empty.
func signJWT(t *testing.T, secret []byte, header map[string]string, claims any) string {
	t.Helper()
	h, err := json.Marshal(header)
	require.NoError(t, err)
	p, err := json.Marshal(claims)
	require.NoError(t, err)
	signed := jwtB64.EncodeToString(h) + "." + jwtB64.EncodeToString(p)
	if header["alg"] != "HS256" {
		return signed + "."
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(signed))
	return signed + "." + jwtB64.EncodeToString(m.Sum(nil))
}

// registrySecret is the token-signing key from the registry's own
// configuration file.
func (s *server) registrySecret() []byte {
	b, err := base64.StdEncoding.DecodeString(s.config().Secret)
	require.NoError(s.t, err)
	return b
}

// dockerCLI runs the docker client with a private DOCKER_CONFIG, so the
// credentials of `docker login` never reach root's configuration.
type dockerCLI struct {
	t   *testing.T
	env []string
}

func newDockerCLI(t *testing.T) *dockerCLI {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatalf("docker is required: %v", err)
	}
	return &dockerCLI{t: t, env: isolatedEnv("DOCKER_CONFIG=" + t.TempDir())}
}

func (d *dockerCLI) run(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = d.env
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	d.t.Logf("docker %s: %v", strings.Join(args, " "), err)
	return out.String(), err
}

func (d *dockerCLI) mustRun(args ...string) string {
	d.t.Helper()
	out, err := d.run("", args...)
	require.NoError(d.t, err, "docker %s:\n%s", strings.Join(args, " "), out)
	return out
}
