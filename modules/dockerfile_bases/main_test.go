package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/ansible/doccheck"
	"github.com/gating/containers/module_utils/imagecopy"
	"github.com/gating/containers/module_utils/registry/auth"
	"github.com/gating/containers/module_utils/registry/registrytest"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"
)

func TestDocs(t *testing.T) { doccheck.Check(t, params{}) }

const (
	user     = "zuul"
	password = "p4ss:w0rd-secret"
)

// execute runs the module on args, as Ansible would, and returns its raw
// output and result.
func execute(t *testing.T, args map[string]any) (string, map[string]any) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "args")
	b, err := json.Marshal(args)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	var out bytes.Buffer
	ansible.Execute([]string{"AnsiballZ_dockerfile_bases", path}, &out, run)
	var res map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), "%s", out.Bytes())
	return out.String(), res
}

// reg is a buildset registry on loopback: our registry, TLS with its own
// CA, token auth with a write user.
type reg struct {
	t    *testing.T
	host string
	port int
	ca   []byte
	srv  *httptest.Server
}

func startRegistry(t *testing.T, ipv6 bool) *reg {
	t.Helper()
	s := registrytest.Start(t, registrytest.Options{IPv6: ipv6,
		Users: []auth.User{{Name: user, Password: password, Access: auth.AccessWrite}}})
	return &reg{t: t, host: s.Host, port: s.Port, ca: s.CA, srv: s.HTTP}
}

// args are the module's registry_* arguments for the registry, from its
// buildset_registry record (host, port, username, password, cert), as the
// build_docker_image role passes them.
func (r *reg) args() map[string]any {
	return map[string]any{"registry_host": r.host, "registry_port": r.port, "registry_username": user,
		"registry_password": password, "registry_ca": string(r.ca)}
}

// merge returns a copy of m with the keys of more set (a nil value deletes
// the key).
func merge(m map[string]any, more map[string]any) map[string]any {
	c := map[string]any{}
	for k, v := range m {
		c[k] = v
	}
	for k, v := range more {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// push writes a random image as repository:tag and returns its digest.
func (r *reg) push(repository, tag string) string {
	r.t.Helper()
	img, err := random.Image(256, 1)
	require.NoError(r.t, err)
	ref, err := name.NewTag(net.JoinHostPort(r.host, strconv.Itoa(r.port)) + "/" + repository + ":" + tag)
	require.NoError(r.t, err)
	rt, err := imagecopy.Endpoint{CA: r.ca}.Transport(1)
	require.NoError(r.t, err)
	require.NoError(r.t, remote.Write(ref, img, remote.WithTransport(rt),
		remote.WithAuth(&authn.Basic{Username: user, Password: password})))
	d, err := img.Digest()
	require.NoError(r.t, err)
	return d.String()
}

func writeDockerfile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Dockerfile")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

const multiStage = `# escape=\
ARG REGISTRY=quay.io
ARG BASE=gating/speculative-base
FROM ${REGISTRY}/gating/other:3.0 AS build
RUN make
FROM $BASE AS final
COPY --from=build /out /out
COPY --from=busybox:1.36 /bin/busybox /bin/
FROM final AS test
COPY --from=example.org/not/used /x /y
`

// entry is an expected element of images.
func entry(name, canonical, tag, location, digest, pull string) map[string]any {
	e := map[string]any{"name": name, "canonical": canonical, "tag": tag, "retag": !strings.Contains(tag, "@"),
		"location": location, "speculative": digest != ""}
	if digest != "" {
		e["digest"], e["pull"] = digest, pull
	}
	return e
}

// The speculative images, over IPv4 and IPv6 (with and without brackets),
// in check mode and not: the same answer, nothing changed, no password
// shown - and only the password masked: the host and port are echoed.
func TestRunSpeculative(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1", "[::1]"} {
		t.Run("host="+host, func(t *testing.T) {
			r := startRegistry(t, strings.Contains(host, ":"))
			base := r.push("gating/speculative-base", "latest")
			other := r.push("quay.io/gating/other", "3.0")
			mirror := "zuul-jobs.buildset-registry:" + strconv.Itoa(r.port)
			want := []any{
				entry("quay.io/gating/other:3.0", "quay.io/gating/other:3.0", "quay.io/gating/other:3.0",
					"quay.io/gating/other", other, mirror+"/quay.io/gating/other@"+other),
				entry("gating/speculative-base", "docker.io/gating/speculative-base:latest", "gating/speculative-base:latest",
					"gating/speculative-base", base, mirror+"/gating/speculative-base@"+base),
				entry("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", "library/busybox", "", ""),
			}
			args := merge(r.args(), map[string]any{"path": writeDockerfile(t, multiStage), "target": "Final",
				"registry_host": host, "retries": 0})
			for _, check := range []bool{true, false} {
				args["_ansible_check_mode"] = check
				raw, res := execute(t, args)
				require.Nil(t, res["failed"], raw)
				require.Equal(t, false, res["changed"])
				require.Equal(t, want, res["images"])
				require.Equal(t, []any{want[0], want[1]}, res["speculative"])
				require.Equal(t, "2 of 3 base image(s) speculative: quay.io/gating/other:3.0, gating/speculative-base:latest", res["msg"])
				require.NotContains(t, raw, password)
				echoed := res["invocation"].(map[string]any)["module_args"].(map[string]any)
				require.Equal(t, ansible.NoLogPlaceholder, echoed["registry_password"])
				require.Equal(t, host, echoed["registry_host"])
				require.Equal(t, float64(r.port), echoed["registry_port"])
				require.Equal(t, user, echoed["registry_username"])
				require.Equal(t, string(r.ca), echoed["registry_ca"])
			}
		})
	}
}

// Build args (also from the environment), an image pinned by digest, the
// alias: given, or the host when it is a name.
func TestRunArgsDigestAlias(t *testing.T) {
	r := startRegistry(t, false)
	base := r.push("gating/speculative-base", "v2")
	t.Setenv("DOCKERFILE_BASES_TEST_TAG", "v2")
	path := writeDockerfile(t, "ARG TAG=v1\nARG UNUSED\nFROM gating/speculative-base:$TAG\n"+
		"COPY --from=gating/speculative-base@"+base+" / /\nCOPY --from=quay.io/gating/other@"+base+" / /\n")
	rec := merge(r.args(), map[string]any{"registry_host": "localhost"})
	for _, alias := range []string{"", "registry.example"} {
		raw, res := execute(t, merge(rec, map[string]any{"path": path,
			"build_args": []any{"DOCKERFILE_BASES_TEST_TAG", "UNSET_DOCKERFILE_BASES_VAR"}, "alias": alias}))
		require.Nil(t, res["failed"], raw)
		spec := res["speculative"].([]any)
		require.Len(t, spec, 1, "v1: no such tag, but the pinned image is there")
		require.Equal(t, "gating/speculative-base@"+base, spec[0].(map[string]any)["tag"])
		require.Equal(t, false, spec[0].(map[string]any)["retag"])

		_, res = execute(t, merge(rec, map[string]any{"path": path, "build_args": []any{"TAG=v2", "UNUSED"},
			"alias": alias}))
		mirror := "localhost:" + strconv.Itoa(r.port)
		if alias != "" {
			mirror = alias + ":" + strconv.Itoa(r.port)
		}
		require.Equal(t, []any{
			entry("gating/speculative-base:v2", "docker.io/gating/speculative-base:v2", "gating/speculative-base:v2",
				"gating/speculative-base", base, mirror+"/gating/speculative-base@"+base),
			entry("gating/speculative-base@"+base, "docker.io/gating/speculative-base@"+base, "gating/speculative-base@"+base,
				"gating/speculative-base", base, mirror+"/gating/speculative-base@"+base),
			entry("quay.io/gating/other@"+base, "quay.io/gating/other@"+base, "quay.io/gating/other@"+base,
				"quay.io/gating/other", "", ""),
		}, res["images"])
	}
}

func TestRunWithoutRegistry(t *testing.T) {
	raw, res := execute(t, map[string]any{"path": writeDockerfile(t, multiStage)})
	require.Nil(t, res["failed"], raw)
	require.Equal(t, false, res["changed"])
	require.Equal(t, []any{
		entry("quay.io/gating/other:3.0", "quay.io/gating/other:3.0", "quay.io/gating/other:3.0", "quay.io/gating/other", "", ""),
		entry("gating/speculative-base", "docker.io/gating/speculative-base:latest", "gating/speculative-base:latest", "gating/speculative-base", "", ""),
		entry("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", "library/busybox", "", ""),
		entry("example.org/not/used", "example.org/not/used:latest", "example.org/not/used:latest", "example.org/not/used", "", ""),
	}, res["images"])
	require.Equal(t, []any{}, res["speculative"])
	require.Equal(t, "4 base image(s); no buildset registry given, so none is speculative", res["msg"])
}

func TestRunFailures(t *testing.T) {
	r := startRegistry(t, false)
	stopped := startRegistry(t, true)
	stopped.srv.Close()
	good := writeDockerfile(t, multiStage)
	missing := filepath.Join(t.TempDir(), "no", "Dockerfile")
	// with is the registry's arguments for the good Dockerfile, changed.
	with := func(more map[string]any) map[string]any {
		return merge(merge(r.args(), map[string]any{"path": good}), more)
	}
	for _, tt := range []struct {
		name string
		args map[string]any
		want []string
	}{
		{"missing Dockerfile", map[string]any{"path": missing}, []string{"reading Dockerfile: open " + missing + ": no such file or directory"}},
		{"unknown target", map[string]any{"path": good, "target": "deploy"},
			[]string{"Dockerfile " + good + `: target "deploy": no stage has that name (the stages are build, final, test)`}},
		{"bad FROM", map[string]any{"path": writeDockerfile(t, "FROM busybox\n\nFROM Bad\n")}, []string{", line 3: FROM Bad: image reference \"Bad\""}},
		{"bad build arg", map[string]any{"path": good, "build_args": []any{"=x"}}, []string{`build_args: build argument "=x": no name before the =`}},
		{"bad retries", map[string]any{"path": good, "retries": 101}, []string{"retries 101: want 0 to 100"}},
		{"no host", with(map[string]any{"registry_host": nil}),
			[]string{"registry_port, registry_username, registry_password, registry_ca are given but registry_host is not"}},
		{"empty host", with(map[string]any{"registry_host": "", "registry_username": nil, "registry_password": nil, "registry_ca": nil}),
			[]string{"registry_port is given but registry_host is not"}},
		{"bad host", with(map[string]any{"registry_host": "https://x"}), []string{`registry_host "https://x" must be host[:port], without a scheme`}},
		{"no port", with(map[string]any{"registry_port": nil}), []string{`registry_host "127.0.0.1" is given but registry_port is not`}},
		{"no port, IPv6", with(map[string]any{"registry_host": "[::1]", "registry_port": nil}),
			[]string{`registry_host "[::1]" is given but registry_port is not`}},
		// Only the password is no_log: the other values show in msg.
		{"bad port", with(map[string]any{"registry_port": "http"}),
			[]string{`argument 'registry_port' is of type str and we were unable to convert to int: "http" is not a number`}},
		{"port out of range", with(map[string]any{"registry_port": 70000}), []string{"registry_port 70000: want 1 to 65535"}},
		{"port zero", with(map[string]any{"registry_port": 0}), []string{"registry_port 0: want 1 to 65535"}},
		{"CA not PEM", with(map[string]any{"registry_ca": "nonsense"}), []string{"registry_ca: CA: no PEM certificate in it"}},
		{"password without user", with(map[string]any{"registry_username": ""}),
			[]string{"registry_password is given but registry_username is not"}},
		{"user without password", with(map[string]any{"registry_password": nil}),
			[]string{"registry_username is given but registry_password is not"}},
		{"user with a colon", with(map[string]any{"registry_username": "a:b"}),
			[]string{`registry_username "a:b": a user name may not contain ':'`}},
		{"bad alias", with(map[string]any{"alias": "https://x"}), []string{`alias "https://x" must be host[:port]`}},
		{"registry down", merge(stopped.args(), map[string]any{"path": good, "retries": 0}),
			[]string{"looking up quay.io/gating/other:3.0 (quay.io/gating/other:3.0) in the buildset registry: registry [::1]:" +
				strconv.Itoa(stopped.port) + ": ", "connection refused"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw, res := execute(t, tt.args)
			require.Equal(t, true, res["failed"], raw)
			require.Equal(t, false, res["changed"])
			for _, w := range tt.want {
				require.Contains(t, res["msg"], w)
			}
			require.NotContains(t, raw, password)
		})
	}
}
