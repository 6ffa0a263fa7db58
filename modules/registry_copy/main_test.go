package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/ansible/doccheck"
	"github.com/gating/containers/module_utils/registry/auth"
	"github.com/gating/containers/module_utils/registry/registrytest"
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
	ansible.Execute([]string{"AnsiballZ_registry_copy", path}, &out, run)
	var res map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), "%s", out.Bytes())
	return out.String(), res
}

// reg is one of our registries on loopback with its own CA; with users,
// pushing needs the write user.
type reg struct {
	t    *testing.T
	host string
	ca   []byte
}

func startRegistry(t *testing.T, ipv6 bool, users ...auth.User) *reg {
	t.Helper()
	s := registrytest.Start(t, registrytest.Options{IPv6: ipv6, Users: users})
	return &reg{t: t, host: s.Addr, ca: s.CA}
}

func (r *reg) do(method, path, contentType string, body []byte) (*http.Response, []byte) {
	r.t.Helper()
	pool := x509.NewCertPool()
	require.True(r.t, pool.AppendCertsFromPEM(r.ca))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, err := http.NewRequest(method, "https://"+r.host+path, bytes.NewReader(body))
	require.NoError(r.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	resp, err := client.Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	return resp, b
}

func sha(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }

// pushImage pushes a one-layer image under repo:tag and returns its digest.
func (r *reg) pushImage(repo, tag string) string {
	r.t.Helper()
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := bytes.Repeat([]byte("gating "), 1000)
	for _, blob := range [][]byte{config, layer} {
		resp, body := r.do("POST", "/v2/"+repo+"/blobs/uploads/?digest="+sha(blob), "application/octet-stream", blob)
		require.Equal(r.t, http.StatusCreated, resp.StatusCode, string(body))
	}
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":%d}]}`,
		sha(config), len(config), sha(layer), len(layer)))
	resp, body := r.do("PUT", "/v2/"+repo+"/manifests/"+tag, "application/vnd.oci.image.manifest.v1+json", manifest)
	require.Equal(r.t, http.StatusCreated, resp.StatusCode, string(body))
	return sha(manifest)
}

// digestOf is what repo:tag names, "" if nothing.
func (r *reg) digestOf(repo, tag string) string {
	r.t.Helper()
	resp, body := r.do("GET", "/v2/"+repo+"/manifests/"+tag, "", nil)
	if resp.StatusCode == http.StatusNotFound {
		return ""
	}
	require.Equal(r.t, http.StatusOK, resp.StatusCode)
	return sha(body)
}

// The four passes, with the CAs and credentials as arguments; the
// password never shows in the output.
func TestRunFourPasses(t *testing.T) {
	src := startRegistry(t, false)
	dst := startRegistry(t, true, auth.User{Name: user, Password: password, Access: auth.AccessWrite})
	digest := src.pushImage("gating/app", "v1")
	args := map[string]any{
		"src": "docker://" + src.host + "/gating/app:v1", "src_ca": string(src.ca),
		"dest": dst.host + "/gating/app:change_1_v1", "dest_ca": string(dst.ca),
		"dest_username": user, "dest_password": password,
		"retry_delay": 0.01, "_ansible_diff": true,
	}
	for _, pass := range []struct {
		name      string
		check     bool
		changed   bool
		manifests []any
	}{
		{"check", true, true, []any{digest}},
		{"real", false, true, []any{digest}},
		{"repeat", false, false, []any{}},
		{"repeat in check mode", true, false, []any{}},
	} {
		t.Run(pass.name, func(t *testing.T) {
			args["_ansible_check_mode"] = pass.check
			raw, res := execute(t, args)
			require.Nil(t, res["failed"], raw)
			require.Equal(t, pass.changed, res["changed"], raw)
			require.Equal(t, digest, res["digest"])
			require.Equal(t, "application/vnd.oci.image.manifest.v1+json", res["media_type"])
			require.Equal(t, pass.manifests, res["manifests"])
			require.NotContains(t, raw, password)
			if pass.changed {
				diff := res["diff"].(map[string]any)
				require.Contains(t, diff["after"], digest)
			} else {
				require.NotContains(t, res, "diff")
			}
			if pass.name == "check" {
				require.Equal(t, "", dst.digestOf("gating/app", "change_1_v1"), "check mode copies nothing")
				require.Contains(t, res["msg"], "would copy 1 manifest(s)")
				return
			}
			require.Equal(t, digest, dst.digestOf("gating/app", "change_1_v1"))
			if pass.name == "real" {
				require.Equal(t, map[string]any{"uploaded": float64(2), "mounted": float64(0), "existing": float64(0)}, res["blobs"])
			}
		})
	}
}

func TestRunFailures(t *testing.T) {
	src := startRegistry(t, false)
	dst := startRegistry(t, false, auth.User{Name: user, Password: password, Access: auth.AccessWrite})
	src.pushImage("app", "1")
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, os.WriteFile(caFile, src.ca, 0o644))
	base := func(extra map[string]any) map[string]any {
		args := map[string]any{"src": src.host + "/app:1", "src_ca": caFile, "dest": dst.host + "/app:1",
			"dest_ca": string(dst.ca), "retries": 0}
		for k, v := range extra {
			args[k] = v
		}
		return args
	}
	for _, tt := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"anonymous push", base(nil), "registry " + dst.host + " answered 401 Unauthorized"},
		{"wrong password", base(map[string]any{"dest_username": user, "dest_password": password + "x"}), "answered 401 Unauthorized to GET /auth/token"},
		{"user without password", base(map[string]any{"dest_username": user}), "dest_username is given but dest_password is not"},
		{"password without user", base(map[string]any{"src_password": password}), "src_password is given but src_username is not"},
		{"CA not PEM", base(map[string]any{"dest_ca": "-----BEGIN nonsense"}), "dest_ca: CA: no PEM certificate in it"},
		{"CA file missing", base(map[string]any{"src_ca": "/nonexistent/ca.crt"}), "src_ca: reading CA file"},
		{"wrong CA", base(map[string]any{"dest_ca": string(src.ca), "dest_username": user, "dest_password": password}), "certificate signed by unknown authority"},
		{"bad platform", base(map[string]any{"all": false, "platform": "linux"}), `platform "linux"`},
		{"bad jobs", base(map[string]any{"jobs": 0}), "jobs 0: want 1 to 64"},
		{"bad retries", base(map[string]any{"retries": -1}), "retries -1"},
		{"bad retry delay", base(map[string]any{"retry_delay": -1}), "retry_delay -1"},
		{"bad reference", base(map[string]any{"src": "oci:/tmp/layout"}), "only the docker:// transport is supported"},
		{"missing tag", base(map[string]any{"src": src.host + "/app:nope", "dest_username": user, "dest_password": password}), "copying docker://" + src.host + "/app:nope to docker://" + dst.host + "/app:1: registry " + src.host + " answered 404 Not Found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw, res := execute(t, tt.args)
			require.Equal(t, true, res["failed"], raw)
			require.Contains(t, res["msg"], tt.want)
			require.NotContains(t, raw, password)
			require.Equal(t, "", dst.digestOf("app", "1"))
		})
	}
}

// One platform of an index, and a copy within one registry.
func TestRunPlatformAndMount(t *testing.T) {
	r := startRegistry(t, false)
	digest := r.pushImage("app", "amd64")
	index := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[`+
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":%q,"size":%d,"platform":{"os":"linux","architecture":"amd64"}}]}`,
		digest, len(mustManifest(t, r, "app", "amd64"))))
	resp, body := r.do("PUT", "/v2/app/manifests/multi", "application/vnd.oci.image.index.v1+json", index)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))

	raw, res := execute(t, map[string]any{"src": r.host + "/app:multi", "src_ca": string(r.ca),
		"dest": r.host + "/other:one", "dest_ca": string(r.ca), "all": "no"})
	require.Nil(t, res["failed"], raw)
	require.Equal(t, digest, res["digest"])
	require.Equal(t, map[string]any{"uploaded": float64(0), "mounted": float64(2), "existing": float64(0)}, res["blobs"])
	require.Equal(t, digest, r.digestOf("other", "one"))

	raw, res = execute(t, map[string]any{"src": r.host + "/app:multi", "src_ca": string(r.ca),
		"dest": r.host + "/other:all", "dest_ca": string(r.ca)})
	require.Nil(t, res["failed"], raw)
	require.Equal(t, sha(index), res["digest"])
	require.Equal(t, []any{sha(index)}, res["manifests"], "the image is there already")
	require.True(t, strings.HasPrefix(res["msg"].(string), "copied 1 manifest(s)"), res["msg"])
}

func mustManifest(t *testing.T, r *reg, repo, tag string) []byte {
	t.Helper()
	resp, body := r.do("GET", "/v2/"+repo+"/manifests/"+tag, "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return body
}
