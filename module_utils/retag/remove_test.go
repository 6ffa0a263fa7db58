package retag_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/retag"
	"github.com/gating/containers/module_utils/retag/fake"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"
)

// refuse answers DELETEs the way registries without tag deletion do:
// by tag only, or (all) by tag and by digest.
func refuse(status int, code string, all bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ref := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			if r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/manifests/") && (all || !strings.Contains(ref, ":")) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`{"errors":[{"code":"` + code + `","message":"refused"}]}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// Removing one of two tags of an image leaves the other and the image, on
// a registry with the tag DELETE, on distribution 2.8 (which deletes by
// digest only) and on registries refusing tag deletion in other ways.
func TestRemove(t *testing.T) {
	cases := []struct {
		name        string
		setup       func(t *testing.T) *target
		placeholder bool
	}{
		{"ours", func(t *testing.T) *target { return ours(t, nil) }, false},
		{"distribution", func(t *testing.T) *target { tg, _ := distribution(t); return proxied(t, tg) }, true},
		{"405", func(t *testing.T) *target { return ours(t, refuse(405, "UNSUPPORTED", false)) }, true},
		{"400 DIGEST_INVALID", func(t *testing.T) *target { return ours(t, refuse(400, "DIGEST_INVALID", false)) }, true},
		{"UNSUPPORTED", func(t *testing.T) *target { return ours(t, refuse(404, "UNSUPPORTED", false)) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg := tc.setup(t)
			img := tg.push(t, repo, "change_5_latest", image(t, time.Now(), types.OCIManifestSchema1))
			for _, tag := range []string{"latest", "change_6_latest"} {
				tg.push(t, repo, tag, image(t, time.Now(), types.OCIManifestSchema1))
			}
			_, err := client(t, tg).Retag(context.Background(), "change_5_latest", []string{"latest"})
			require.NoError(t, err)
			other, _ := tg.resolve(t, repo, "change_6_latest")
			tg.rec.reset()

			dry, err := client(t, tg, retag.WithDryRun(true)).Remove(context.Background(), []string{"change_5_latest", "gone"})
			require.NoError(t, err)
			require.Equal(t, []retag.Change{{Tag: "change_5_latest", Before: img}}, dry)
			require.Empty(t, tg.rec.matching("", "PUT", "POST", "PATCH", "DELETE"), "a dry run writes nothing")

			changes, err := client(t, tg).Remove(context.Background(), []string{"change_5_latest", "gone"})
			require.NoError(t, err)
			require.Equal(t, []retag.Change{{Tag: "change_5_latest", Before: img}}, changes)
			d, _ := tg.resolve(t, repo, "change_5_latest")
			require.Empty(t, d, "the tag is gone")
			d, _ = tg.resolve(t, repo, "latest")
			require.Equal(t, img, d, "the other tag of the image stays")
			d, _ = tg.resolve(t, repo, img)
			require.Equal(t, img, d, "the image stays")
			d, _ = tg.resolve(t, repo, "change_6_latest")
			require.Equal(t, other, d)
			require.ElementsMatch(t, []string{"latest", "change_6_latest"}, tg.tags(t, repo), "no placeholder is left tagged")
			puts := tg.rec.matching("/manifests/", "PUT")
			if tc.placeholder {
				require.Contains(t, puts, "PUT /v2/gating/app/manifests/change_5_latest")
				deletes := tg.rec.matching("/manifests/sha256:", "DELETE")
				require.Len(t, deletes, 2, "the probe and the placeholder are deleted by digest")
				require.NotContains(t, deletes, "DELETE /v2/gating/app/manifests/"+img)
			} else {
				require.Empty(t, puts)
				require.Equal(t, []string{"DELETE /v2/gating/app/manifests/change_5_latest"}, tg.rec.matching("", "DELETE"))
			}

			tg.rec.reset()
			again, err := client(t, tg).Remove(context.Background(), []string{"change_5_latest"})
			require.NoError(t, err)
			require.Empty(t, again)
			require.Empty(t, tg.rec.matching("", "PUT", "POST", "PATCH", "DELETE"), "a repeat writes nothing")
		})
	}
}

// distribution 2.8 directly, over TLS with its CA and htpasswd: several
// tags in one client, the second without another probe.
func TestRemoveDistributionDirect(t *testing.T) {
	tg, _ := distribution(t)
	img := tg.push(t, repo, "a", image(t, time.Now(), types.DockerManifestSchema2))
	c := client(t, tg)
	_, err := c.Retag(context.Background(), "a", []string{"b", "c", "d"})
	require.NoError(t, err)
	changes, err := c.Remove(context.Background(), []string{"a", "c"})
	require.NoError(t, err)
	require.Len(t, changes, 2)
	require.ElementsMatch(t, []string{"b", "d"}, tg.tags(t, repo))
	d, mt := tg.resolve(t, repo, "b")
	require.Equal(t, img, d)
	require.Equal(t, types.DockerManifestSchema2, mt)
}

// A registry that deletes nothing keeps the tag where it was.
func TestRemoveNothingDeletable(t *testing.T) {
	tg := ours(t, refuse(405, "UNSUPPORTED", true))
	img := tg.push(t, repo, "change_1_latest", image(t, time.Now(), types.OCIManifestSchema1))
	tg.rec.reset()
	_, err := client(t, tg).Remove(context.Background(), []string{"change_1_latest"})
	require.ErrorIs(t, err, retag.ErrDeleteUnsupported)
	require.ErrorContains(t, err, "change_1_latest")
	d, _ := tg.resolve(t, repo, "change_1_latest")
	require.Equal(t, img, d, "the tag was not moved")
	require.Empty(t, tg.rec.matching("/manifests/change_1_latest", "PUT"))
}

func hubServer(t *testing.T) (*fake.Hub, string) {
	t.Helper()
	hub := fake.NewHub("promoter", "hub-pass")
	srv := httptest.NewServer(hub)
	t.Cleanup(srv.Close)
	return hub, srv.URL
}

func quayServer(t *testing.T) (*fake.Quay, string) {
	t.Helper()
	q := fake.NewQuay("quay-token")
	srv := httptest.NewServer(q)
	t.Cleanup(srv.Close)
	return q, srv.URL
}

// Docker Hub: JWT from users/login (the password trimmed), DELETE of
// repositories/<ns>/<repo>/tags/<tag>/ with "Authorization: JWT <t>".
func TestRemoveHub(t *testing.T) {
	hub, api := hubServer(t)
	hub.AddTag("gating/app", fake.Tag{Name: "change_1_latest", Digest: "sha256:aa", Updated: time.Now()})
	hub.AddTag("gating/app", fake.Tag{Name: "latest", Digest: "sha256:aa", Updated: time.Now()})
	c, err := retag.New("docker.io/gating/app", retag.WithBasicAuth("promoter", "hub-pass\n"), retag.WithHubAPI(api+"/"))
	require.NoError(t, err)
	require.Equal(t, retag.Hub, c.Type())

	changes, err := c.Remove(context.Background(), []string{"change_1_latest", "absent"})
	require.NoError(t, err)
	require.Equal(t, []retag.Change{{Tag: "change_1_latest", Before: "sha256:aa"}}, changes)
	require.Equal(t, []string{"latest"}, hub.Tags("gating/app"))

	var deletes []fake.Request
	var login int
	for _, r := range hub.Requests() {
		switch {
		case r.Method == http.MethodDelete:
			deletes = append(deletes, r)
		case r.Path == "/v2/users/login":
			login++
		}
	}
	require.Equal(t, 1, login)
	require.Len(t, deletes, 1)
	require.Equal(t, "/v2/repositories/gating/app/tags/change_1_latest/", deletes[0].Path)
	require.Regexp(t, "^JWT [0-9a-f]{48}$", deletes[0].Authorization)
}

// A Hub that fails the DELETE gives an *APIError naming the tag, which a
// role can turn into a warning; the retries are bounded.
func TestRemoveHubError(t *testing.T) {
	hub, api := hubServer(t)
	hub.AddTag("library/busybox", fake.Tag{Name: "change_1_latest", Updated: time.Now()})
	hub.FailDeletes(http.StatusInternalServerError)
	c, err := retag.New("busybox", retag.WithBasicAuth("promoter", "hub-pass"), retag.WithHubAPI(api),
		retag.WithRetries(2), retag.WithBackoff(time.Millisecond))
	require.NoError(t, err)
	changes, err := c.Remove(context.Background(), []string{"change_1_latest"})
	require.Empty(t, changes)
	var apiErr *retag.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusInternalServerError, apiErr.Status)
	require.Equal(t, http.MethodDelete, apiErr.Method)
	require.ErrorContains(t, err, "removing index.docker.io/library/busybox:change_1_latest")
	n := 0
	for _, r := range hub.Requests() {
		if r.Method == http.MethodDelete {
			n++
		}
	}
	require.Equal(t, 3, n, "one try and two retries")
	require.Equal(t, []string{"change_1_latest"}, hub.Tags("library/busybox"))
}

func TestRemoveHubNeedsCredentials(t *testing.T) {
	hub, api := hubServer(t)
	hub.AddTag("gating/app", fake.Tag{Name: "x", Updated: time.Now()})
	c, err := retag.New("docker.io/gating/app", retag.WithHubAPI(api))
	require.NoError(t, err)
	_, err = c.Remove(context.Background(), []string{"x"})
	require.ErrorContains(t, err, "needs a username and a password")

	c, err = retag.New("docker.io/gating/app", retag.WithHubAPI(api), retag.WithBasicAuth("promoter", "wrong"))
	require.NoError(t, err)
	_, err = c.Remove(context.Background(), []string{"x"})
	require.ErrorContains(t, err, "logging in to Docker Hub as promoter")
	require.ErrorContains(t, err, "401")
	require.Equal(t, []string{"x"}, hub.Tags("gating/app"))
}

// quay: DELETE /api/v1/repository/<ns>/<repo>/tag/<tag> with the API
// token as Bearer.
func TestRemoveQuay(t *testing.T) {
	q, api := quayServer(t)
	q.AddTag("org/img", fake.Tag{Name: "change_2_latest", Digest: "sha256:bb", Updated: time.Now()})
	q.AddTag("org/img", fake.Tag{Name: "latest", Digest: "sha256:bb", Updated: time.Now()})
	c, err := retag.New("quay.io/org/img", retag.WithAPIToken("quay-token"), retag.WithQuayAPI(api))
	require.NoError(t, err)
	require.Equal(t, retag.Quay, c.Type())
	changes, err := c.Remove(context.Background(), []string{"change_2_latest", "absent"})
	require.NoError(t, err)
	require.Equal(t, []retag.Change{{Tag: "change_2_latest", Before: "sha256:bb"}}, changes)
	require.Equal(t, []string{"latest"}, q.Tags("org/img"))
	var deletes []fake.Request
	for _, r := range q.Requests() {
		require.Equal(t, "Bearer quay-token", r.Authorization)
		if r.Method == http.MethodDelete {
			deletes = append(deletes, r)
		}
	}
	require.Len(t, deletes, 1)
	require.Equal(t, "/api/v1/repository/org/img/tag/change_2_latest", deletes[0].Path)

	noToken, err := retag.New("quay.io/org/img", retag.WithQuayAPI(api))
	require.NoError(t, err)
	_, err = noToken.Remove(context.Background(), []string{"latest"})
	require.ErrorContains(t, err, "needs an API token")
	require.Equal(t, []string{"latest"}, q.Tags("org/img"))
}

// An explicit type wins over the host (upstream assigned the literal text
// instead): a quay.io image handled as Hub talks to Hub's API only, and a
// hub-typed private registry uses Hub's API for removal.
func TestExplicitTypeHonoured(t *testing.T) {
	hub, hubAPI := hubServer(t)
	q, quayAPI := quayServer(t)
	hub.AddTag("org/img", fake.Tag{Name: "t", Updated: time.Now()})
	q.AddTag("org/img", fake.Tag{Name: "t", Updated: time.Now()})

	c, err := retag.New("quay.io/org/img", retag.WithType(retag.Hub), retag.WithBasicAuth("promoter", "hub-pass"),
		retag.WithAPIToken("quay-token"), retag.WithHubAPI(hubAPI), retag.WithQuayAPI(quayAPI))
	require.NoError(t, err)
	require.Equal(t, retag.Hub, c.Type())
	changes, err := c.Remove(context.Background(), []string{"t"})
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Empty(t, hub.Tags("org/img"))
	require.Equal(t, []string{"t"}, q.Tags("org/img"))
	require.Empty(t, q.Requests())

	tg := ours(t, nil)
	tg.push(t, "org/img", "t", image(t, time.Now(), types.OCIManifestSchema1))
	q.AddTag("org/img", fake.Tag{Name: "u", Updated: time.Now()})
	c, err = retag.New(tg.host+"/org/img", retag.WithType(retag.Quay), retag.WithAPIToken("quay-token"), retag.WithQuayAPI(quayAPI))
	require.NoError(t, err)
	_, err = c.Remove(context.Background(), []string{"u"})
	require.NoError(t, err)
	require.Equal(t, []string{"t"}, q.Tags("org/img"))
	require.Empty(t, tg.rec.matching("", "DELETE"), "the OCI API is not used for quay")
	d, _ := tg.resolve(t, "org/img", "t")
	require.NotEmpty(t, d)

	// And oci given for a quay.io name uses the distribution API.
	c, err = retag.New("quay.io/org/img", retag.WithType(retag.OCI))
	require.NoError(t, err)
	require.Equal(t, retag.OCI, c.Type())
}
