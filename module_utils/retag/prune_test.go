package retag_test

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/retag"
	"github.com/gating/containers/module_utils/retag/fake"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"
)

// The tags every prune test starts from, by age. Upstream compared
// timedelta.seconds (the seconds part, 0-86399) with 86400 and so never
// pruned anything; 2 days and 1 hour old is where that shows most.
var pruneAges = map[string]time.Duration{
	"change_1_latest":  2 * 24 * time.Hour,            // stale
	"change_2_latest":  time.Hour,                     // fresh
	"change_3_latest":  2*24*time.Hour + time.Hour,    // stale (timedelta.seconds: 3600)
	"change_4_latest":  23 * time.Hour,                // fresh
	"gate_latest":      3 * 24 * time.Hour,            // stale, pipeline prefix
	"periodic_latest":  3 * 24 * time.Hour,            // another pipeline: kept
	"latest":           5 * 24 * time.Hour,            // no prefix: kept
	"xchange_1_latest": 5 * 24 * time.Hour,            // not anchored at the start: kept
	"change_9_keep":    4 * 24 * time.Hour,            // stale but in Keep
	"change_5_latest":  24*time.Hour + 10*time.Minute, // just over a day: stale
}

var wantPruned = []string{"change_1_latest", "change_3_latest", "change_5_latest", "gate_latest"}

func pruning(now time.Time) retag.Pruning {
	return retag.Pruning{
		Match:  regexp.MustCompile(retag.DefaultPrunePattern("gate")),
		Before: now.Add(-24 * time.Hour),
		Keep:   []string{"change_9_keep"},
	}
}

func names(changes []retag.Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Tag)
	}
	return out
}

func remaining() []string {
	var out []string
	for n := range pruneAges {
		keep := true
		for _, p := range wantPruned {
			keep = keep && n != p
		}
		if keep {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

type lister interface {
	AddTag(repo string, t fake.Tag)
	Tags(repo string) []string
	Requests() []fake.Request
}

// Hub and quay, two tags a page so several pages are walked: only the
// stale matching tags go, first in a dry run that deletes nothing.
func TestPruneServices(t *testing.T) {
	cases := []struct {
		name     string
		image    string
		repo     string
		server   func(t *testing.T) (lister, []retag.Option)
		listPath string
	}{
		{"hub", "docker.io/gating/app", "gating/app", func(t *testing.T) (lister, []retag.Option) {
			hub, api := hubServer(t)
			return hub, []retag.Option{retag.WithHubAPI(api), retag.WithBasicAuth("promoter", "hub-pass")}
		}, "/v2/repositories/gating/app/tags"},
		{"quay", "quay.io/org/img", "org/img", func(t *testing.T) (lister, []retag.Option) {
			q, api := quayServer(t)
			return q, []retag.Option{retag.WithQuayAPI(api), retag.WithAPIToken("quay-token")}
		}, "/api/v1/repository/org/img/tag/"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, opts := tc.server(t)
			now := time.Now()
			for n, age := range pruneAges {
				srv.AddTag(tc.repo, fake.Tag{Name: n, Digest: "sha256:" + n, Updated: now.Add(-age)})
			}
			opts = append(opts, retag.WithPageSize(2))

			dry, err := retag.New(tc.image, append(opts, retag.WithDryRun(true))...)
			require.NoError(t, err)
			res, err := dry.Prune(context.Background(), pruning(now))
			require.NoError(t, err)
			require.Equal(t, wantPruned, names(res.Changes))
			require.Len(t, srv.Tags(tc.repo), len(pruneAges), "a dry run deletes nothing")

			c, err := retag.New(tc.image, opts...)
			require.NoError(t, err)
			res, err = c.Prune(context.Background(), pruning(now))
			require.NoError(t, err)
			require.Equal(t, wantPruned, names(res.Changes))
			require.Equal(t, "sha256:change_1_latest", res.Changes[0].Before)
			require.Empty(t, res.Unknown)
			require.Equal(t, remaining(), srv.Tags(tc.repo))

			pages := 0
			for _, r := range srv.Requests() {
				if r.Method == http.MethodGet && r.Path == tc.listPath && !strings.Contains(r.Query, "specificTag") {
					pages++
				}
			}
			// 10 tags, 2 a page: 5 pages per listing, two listings.
			require.Equal(t, 10, pages)

			res, err = c.Prune(context.Background(), pruning(now))
			require.NoError(t, err)
			require.Empty(t, res.Changes, "a repeat prunes nothing")
		})
	}
}

// On a plain OCI registry the age is the image config's created time (an
// index: its newest image); tags/list is paged with n and Link.
func TestPruneOCI(t *testing.T) {
	tg := ours(t, nil)
	now := time.Now()
	for n, age := range pruneAges {
		tg.push(t, repo, n, image(t, now.Add(-age), types.OCIManifestSchema1))
	}
	// An index whose newest image is fresh is kept, one all stale goes.
	tg.push(t, repo, "change_6_multi", index(t, types.OCIImageIndex, now.Add(-72*time.Hour), now.Add(-time.Hour)))
	tg.push(t, repo, "change_7_multi", index(t, types.OCIImageIndex, now.Add(-72*time.Hour), now.Add(-48*time.Hour)))
	// Reproducible builds set created to the epoch: the age is unknown.
	tg.push(t, repo, "change_8_reproducible", image(t, time.Unix(0, 0), types.OCIManifestSchema1))
	tg.rec.reset()

	c := client(t, tg, retag.WithPageSize(3))
	res, err := c.Prune(context.Background(), pruning(now))
	require.NoError(t, err)
	want := append(append([]string(nil), wantPruned...), "change_7_multi")
	sort.Strings(want)
	require.Equal(t, want, names(res.Changes))
	require.Equal(t, []string{"change_8_reproducible"}, res.Unknown)
	// 13 tags, 3 a page: 5 pages, the later ones by Link (last=...).
	lists := tg.rec.matching("/tags/list", "GET")
	require.Len(t, lists, 5)
	require.Contains(t, lists[0], "n=3")
	require.Contains(t, lists[1], "last=")
	left := tg.tags(t, repo)
	for _, w := range want {
		require.NotContains(t, left, w)
	}
	require.Len(t, left, len(pruneAges)-len(wantPruned)+2)
}

// A prune goes on past a tag it cannot delete and reports it.
func TestPruneHubDeleteFails(t *testing.T) {
	hub, api := hubServer(t)
	now := time.Now()
	hub.AddTag("gating/app", fake.Tag{Name: "change_1_latest", Updated: now.Add(-48 * time.Hour)})
	hub.AddTag("gating/app", fake.Tag{Name: "change_2_latest", Updated: now.Add(-49 * time.Hour)})
	hub.FailDeletes(http.StatusInternalServerError)
	c, err := retag.New("docker.io/gating/app", retag.WithHubAPI(api), retag.WithBasicAuth("promoter", "hub-pass"),
		retag.WithRetries(0))
	require.NoError(t, err)
	res, err := c.Prune(context.Background(), pruning(now))
	require.Empty(t, res.Changes)
	var apiErr *retag.APIError
	require.ErrorAs(t, err, &apiErr)
	require.ErrorContains(t, err, "change_1_latest")
	require.ErrorContains(t, err, "change_2_latest")
	require.Len(t, hub.Tags("gating/app"), 2)
}

func TestPruneRejects(t *testing.T) {
	c, err := retag.New("example.org/a")
	require.NoError(t, err)
	_, err = c.Prune(context.Background(), retag.Pruning{Before: time.Now()})
	require.ErrorContains(t, err, "no pattern")
	_, err = c.Prune(context.Background(), retag.Pruning{Match: regexp.MustCompile("x")})
	require.ErrorContains(t, err, "no cutoff")
	require.Equal(t, "^change_", retag.DefaultPrunePattern(""))
	require.Equal(t, `^change_|^check\.x_`, retag.DefaultPrunePattern("check.x"))
}
