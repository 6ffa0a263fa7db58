package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/ansible/doccheck"
	"github.com/gating/containers/module_utils/registry/registrytest"
	"github.com/gating/containers/module_utils/retag/fake"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"
)

func TestDocs(t *testing.T) { doccheck.Check(t, params{}) }

// execute runs the module as Ansible does, on an args file, and returns
// its raw output and the decoded result.
func execute(t *testing.T, args map[string]any) (string, map[string]any) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "args")
	data, err := json.Marshal(args)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, data, 0o600))
	var out bytes.Buffer
	ansible.Execute([]string{"AnsiballZ_registry_tag", file}, &out, run)
	var res map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), out.String())
	return out.String(), res
}

// serve runs our registry on loopback and counts the writes it receives.
func serve(t *testing.T) (host string, writes func() int) {
	t.Helper()
	var n atomic.Int64
	s := registrytest.Start(t, registrytest.Options{Plain: true, Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				n.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}})
	return s.Addr, func() int { return int(n.Load()) }
}

// push writes a two-platform OCI index under tag and returns its digest.
func push(t *testing.T, host, tag string, created time.Time) string {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(128, 1)
		require.NoError(t, err)
		img, err = mutate.CreatedAt(img, v1.Time{Time: created})
		require.NoError(t, err)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        mutate.MediaType(img, types.OCIManifestSchema1),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	ref, err := name.ParseReference(host + "/gating/app:" + tag)
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, idx))
	d, err := idx.Digest()
	require.NoError(t, err)
	return d.String()
}

func resolve(t *testing.T, host, tag string) string {
	t.Helper()
	ref, err := name.ParseReference(host + "/gating/app:" + tag)
	require.NoError(t, err)
	desc, err := remote.Head(ref)
	if err != nil {
		return ""
	}
	return desc.Digest.String()
}

// Four passes of a retag (check, real, repeat, repeat in check mode), four
// of a removal, then a prune, against our registry.
func TestRunPasses(t *testing.T) {
	host, writes := serve(t)
	src := push(t, host, "change_1_latest", time.Now())
	stale := push(t, host, "change_0_latest", time.Now().Add(-50*time.Hour))
	image := host + "/gating/app"

	retagPasses := []struct {
		name    string
		check   bool
		changed bool
	}{
		{"check", true, true}, {"real", false, true}, {"repeat", false, false}, {"repeat in check mode", true, false},
	}
	for _, p := range retagPasses {
		t.Run("retag "+p.name, func(t *testing.T) {
			before := writes()
			raw, res := execute(t, map[string]any{
				"image": image, "source": "change_1_latest", "tags": []string{"latest", "3.19"},
				"_ansible_check_mode": p.check, "_ansible_diff": true,
			})
			require.Nil(t, res["failed"], raw)
			require.Equal(t, p.changed, res["changed"], raw)
			require.Equal(t, src, res["digest"])
			require.Equal(t, "oci", res["registry_type"])
			require.Equal(t, image, res["image"])
			require.Equal(t, "application/vnd.oci.image.index.v1+json", res["media_type"])
			if p.changed {
				require.Equal(t, []any{"latest", "3.19"}, res["tagged"])
				diff := res["diff"].(map[string]any)
				require.Equal(t, "latest: absent\n3.19: absent\n", diff["before"])
				require.Equal(t, "latest: "+src+"\n3.19: "+src+"\n", diff["after"])
			} else {
				require.Equal(t, []any{}, res["tagged"])
				require.NotContains(t, res, "diff")
			}
			if p.check || !p.changed {
				require.Equal(t, before, writes(), "nothing written")
			} else {
				require.Equal(t, before+2, writes(), "two manifest PUTs and nothing else")
			}
			if p.name == "check" {
				require.Empty(t, resolve(t, host, "latest"))
			} else {
				require.Equal(t, src, resolve(t, host, "latest"))
				require.Equal(t, src, resolve(t, host, "3.19"))
			}
		})
	}

	for _, p := range retagPasses {
		t.Run("remove "+p.name, func(t *testing.T) {
			raw, res := execute(t, map[string]any{
				"image": image, "remove": []string{"change_1_latest"},
				"_ansible_check_mode": p.check, "_ansible_diff": true,
			})
			require.Nil(t, res["failed"], raw)
			require.Equal(t, p.changed, res["changed"], raw)
			if p.changed {
				require.Equal(t, []any{"change_1_latest"}, res["removed"])
				require.Equal(t, "change_1_latest: "+src+"\n", res["diff"].(map[string]any)["before"])
				require.Equal(t, "change_1_latest: absent\n", res["diff"].(map[string]any)["after"])
			} else {
				require.Equal(t, []any{}, res["removed"])
			}
			if p.name == "check" {
				require.Equal(t, src, resolve(t, host, "change_1_latest"))
			} else {
				require.Empty(t, resolve(t, host, "change_1_latest"))
			}
			require.Equal(t, src, resolve(t, host, "latest"))
		})
	}

	t.Run("prune", func(t *testing.T) {
		push(t, host, "gate_latest", time.Now().Add(-50*time.Hour))
		for _, check := range []bool{true, false} {
			raw, res := execute(t, map[string]any{"image": image, "prune": true, "pipeline": "gate", "_ansible_check_mode": check})
			require.Nil(t, res["failed"], raw)
			require.Equal(t, true, res["changed"])
			require.Equal(t, []any{"change_0_latest", "gate_latest"}, res["pruned"])
		}
		require.Empty(t, resolve(t, host, "change_0_latest"))
		require.Empty(t, resolve(t, host, "gate_latest"))
		require.Equal(t, src, resolve(t, host, "latest"))
		require.NotEqual(t, src, stale)
		_, res := execute(t, map[string]any{"image": image, "prune": true, "pipeline": "gate"})
		require.Equal(t, false, res["changed"])
	})
}

// A Hub that fails the temporary tag's DELETE fails the task with the tag
// named; what was done is still returned and the password appears nowhere.
func TestRunHubDeleteError(t *testing.T) {
	hub := fake.NewHub("promoter", "hub-s3cret")
	hub.AddTag("gating/app", fake.Tag{Name: "change_1_latest", Updated: time.Now()})
	hub.AddTag("gating/app", fake.Tag{Name: "gate_latest", Updated: time.Now().Add(-72 * time.Hour)})
	hub.FailDeletes(http.StatusInternalServerError)
	srv := httptest.NewServer(hub)
	defer srv.Close()
	args := map[string]any{
		"image": "docker.io/gating/app", "remove": []string{"change_1_latest"}, "prune": true, "pipeline": "gate",
		"username": "promoter", "password": "hub-s3cret", "hub_api_url": srv.URL, "retries": 0,
	}
	raw, res := execute(t, args)
	require.Equal(t, true, res["failed"], raw)
	require.Contains(t, res["msg"], "removing index.docker.io/gating/app:change_1_latest")
	require.Contains(t, res["msg"], "500")
	require.Contains(t, res["msg"], "gate_latest")
	require.Equal(t, "hub", res["registry_type"])
	require.Equal(t, []any{}, res["removed"])
	require.NotContains(t, raw, "hub-s3cret")

	hub.FailDeletes(0)
	raw, res = execute(t, args)
	require.Nil(t, res["failed"], raw)
	require.Equal(t, []any{"change_1_latest"}, res["removed"])
	require.Equal(t, []any{"gate_latest"}, res["pruned"])
	require.Empty(t, hub.Tags("gating/app"))
}

// registry_type is honoured as given: quay's API for a registry on
// loopback.
func TestRunExplicitQuay(t *testing.T) {
	q := fake.NewQuay("tok3n-value")
	q.AddTag("gating/app", fake.Tag{Name: "change_1_latest", Updated: time.Now()})
	srv := httptest.NewServer(q)
	defer srv.Close()
	host, writes := serve(t)
	raw, res := execute(t, map[string]any{
		"image": host + "/gating/app", "registry_type": "quay", "quay_api_url": srv.URL,
		"api_token": "tok3n-value", "remove": []string{"change_1_latest"},
	})
	require.Nil(t, res["failed"], raw)
	require.Equal(t, "quay", res["registry_type"])
	require.Equal(t, []any{"change_1_latest"}, res["removed"])
	require.Empty(t, q.Tags("gating/app"))
	require.Zero(t, writes())
	require.NotContains(t, raw, "tok3n-value")
}

func TestRunRejects(t *testing.T) {
	cases := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"image": "r.example/a", "tags": []string{"x"}}, "tags needs source"},
		{map[string]any{"image": "r.example/a"}, "nothing to do"},
		{map[string]any{"image": "r.example/a", "source": "s", "tags": []string{"x"}, "remove": []string{"x"}}, `"x" is both in tags and in remove`},
		{map[string]any{"image": "r.example/a", "prune": true, "prune_prefix": "("}, `prune_prefix "("`},
		{map[string]any{"image": "r.example/a", "prune": true, "prune_age": -1}, "prune_age -1"},
		{map[string]any{"image": "r.example/a", "remove": []string{"x"}, "registry_type": "gcr"}, "registry_type must be one of"},
		{map[string]any{"image": "r.example/a:tag", "remove": []string{"x"}}, `repository "r.example/a:tag"`},
		{map[string]any{"image": "r.example/a", "remove": []string{"x"}, "ca": "junk"}, "no PEM certificate"},
		{map[string]any{"remove": []string{"x"}}, "missing required arguments: image"},
	}
	for _, tc := range cases {
		raw, res := execute(t, tc.args)
		require.Equal(t, true, res["failed"], raw)
		require.Contains(t, res["msg"], tc.want)
	}
}
