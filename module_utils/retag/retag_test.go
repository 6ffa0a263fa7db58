package retag_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/retag"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"
)

const repo = "gating/app"

func client(t *testing.T, tg *target, opts ...retag.Option) *retag.Client {
	t.Helper()
	base := []retag.Option{retag.WithBackoff(time.Millisecond)}
	if tg.user != "" {
		base = append(base, retag.WithBasicAuth(tg.user, tg.pass))
	}
	if tg.ca != nil {
		base = append(base, retag.WithCA(tg.ca))
	}
	c, err := retag.New(tg.host+"/"+repo, append(base, opts...)...)
	require.NoError(t, err)
	return c
}

// Retag of an image and of an index, on our registry and on distribution
// 2.8: the new tags get the source's digest and media type, no blob (and
// for an index no child manifest) is written, and a repeat changes nothing.
func TestRetag(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name  string
		setup func(t *testing.T) *target
		what  func(t *testing.T) any
		mt    types.MediaType
	}{
		{"ours image", func(t *testing.T) *target { return ours(t, nil) },
			func(t *testing.T) any { return image(t, now, types.OCIManifestSchema1) }, types.OCIManifestSchema1},
		{"ours index", func(t *testing.T) *target { return ours(t, nil) },
			func(t *testing.T) any { return index(t, types.OCIImageIndex, now, now) }, types.OCIImageIndex},
		{"distribution image", func(t *testing.T) *target { tg, _ := distribution(t); return proxied(t, tg) },
			func(t *testing.T) any { return image(t, now, types.DockerManifestSchema2) }, types.DockerManifestSchema2},
		{"distribution index", func(t *testing.T) *target { tg, _ := distribution(t); return proxied(t, tg) },
			func(t *testing.T) any { return index(t, types.DockerManifestList, now, now) }, types.DockerManifestList},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg := tc.setup(t)
			src := tg.push(t, repo, "change_123_latest", tc.what(t))
			other := types.OCIManifestSchema1
			if tc.mt == types.DockerManifestSchema2 || tc.mt == types.DockerManifestList {
				other = types.DockerManifestSchema2
			}
			tg.push(t, repo, "v1", image(t, now, other)) // v1 exists, pointing elsewhere
			tg.rec.reset()

			c := client(t, tg)
			res, err := c.Retag(context.Background(), "change_123_latest", []string{"latest", "v1", "latest"})
			require.NoError(t, err)
			require.Equal(t, src, res.Digest)
			require.Equal(t, string(tc.mt), res.MediaType)
			require.Len(t, res.Changes, 2)
			require.Equal(t, "latest", res.Changes[0].Tag)
			require.Equal(t, "", res.Changes[0].Before)
			require.Equal(t, "v1", res.Changes[1].Tag)
			require.NotEmpty(t, res.Changes[1].Before)
			require.NotEqual(t, src, res.Changes[1].Before)
			for _, tag := range []string{"latest", "v1", "change_123_latest"} {
				d, mt := tg.resolve(t, repo, tag)
				require.Equal(t, src, d, tag)
				require.Equal(t, tc.mt, mt, tag)
			}
			require.Empty(t, tg.rec.matching("/blobs/"), "a retag touches no blob")
			require.Equal(t, []string{"PUT /v2/gating/app/manifests/latest", "PUT /v2/gating/app/manifests/v1"},
				tg.rec.matching("/manifests/", "PUT", "POST", "PATCH", "DELETE"), "only the two tags are written")

			tg.rec.reset()
			again, err := client(t, tg).Retag(context.Background(), "change_123_latest", []string{"latest", "v1"})
			require.NoError(t, err)
			require.Empty(t, again.Changes)
			require.Equal(t, src, again.Digest)
			require.Empty(t, tg.rec.matching("", "PUT", "POST", "PATCH", "DELETE"), "a repeat writes nothing")
		})
	}
}

// The blobs distribution stores are the same before and after a retag.
func TestRetagDistributionStoresNoBlob(t *testing.T) {
	tg, data := distribution(t)
	src := tg.push(t, repo, "change_1_latest", index(t, types.OCIImageIndex, time.Now(), time.Now()))
	before := blobFiles(t, data)
	res, err := client(t, tg).Retag(context.Background(), "change_1_latest", []string{"latest"})
	require.NoError(t, err)
	require.Equal(t, src, res.Digest)
	require.Len(t, res.Changes, 1)
	after := blobFiles(t, data)
	// The manifest is itself a blob in distribution's layout, already
	// there; nothing else may appear.
	require.Equal(t, before, after)
	d, _ := tg.resolve(t, repo, "latest")
	require.Equal(t, src, d)
}

func TestRetagByDigestAndDryRun(t *testing.T) {
	tg := ours(t, nil)
	src := tg.push(t, repo, "change_7_latest", image(t, time.Now(), types.OCIManifestSchema1))
	tg.rec.reset()

	dry := client(t, tg, retag.WithDryRun(true))
	res, err := dry.Retag(context.Background(), src, []string{"latest"})
	require.NoError(t, err)
	require.Equal(t, []retag.Change{{Tag: "latest", Before: "", After: src}}, res.Changes)
	require.Empty(t, tg.rec.matching("", "PUT", "POST", "PATCH", "DELETE"))
	d, _ := tg.resolve(t, repo, "latest")
	require.Empty(t, d, "a dry run writes nothing")

	res, err = client(t, tg).Retag(context.Background(), "@"+src, []string{"latest"})
	require.NoError(t, err)
	require.Len(t, res.Changes, 1)
	d, _ = tg.resolve(t, repo, "latest")
	require.Equal(t, src, d)
}

func TestRetagErrors(t *testing.T) {
	tg := ours(t, nil)
	tg.push(t, repo, "present", image(t, time.Now(), types.OCIManifestSchema1))
	c := client(t, tg)
	cases := []struct {
		source string
		tags   []string
		want   string
		is     error
	}{
		{"missing", []string{"latest"}, tg.host + "/gating/app:missing", retag.ErrNotFound},
		{"sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", []string{"latest"}, "@sha256:0123", retag.ErrNotFound},
		{"sha256:short", []string{"latest"}, `source "sha256:short": not a sha256 digest`, nil},
		{"present", []string{"bad tag"}, `tag "bad tag": not a valid tag`, nil},
		{"", []string{"latest"}, "no source", nil},
	}
	for _, tc := range cases {
		t.Run(tc.source, func(t *testing.T) {
			_, err := c.Retag(context.Background(), tc.source, tc.tags)
			require.ErrorContains(t, err, tc.want)
			if tc.is != nil {
				require.True(t, errors.Is(err, tc.is), "%v", err)
			}
		})
	}
	d, _ := tg.resolve(t, repo, "latest")
	require.Empty(t, d)
}

func TestNewRejects(t *testing.T) {
	cases := []struct {
		image string
		opts  []retag.Option
		want  string
	}{
		{"example.org/a:tag", nil, `repository "example.org/a:tag"`},
		{"example.org/a", []retag.Option{retag.WithType("gcr")}, `registry type "gcr"`},
		{"example.org/a", []retag.Option{retag.WithCA([]byte("not pem"))}, "ca: no PEM certificate"},
		{"example.org/a", []retag.Option{retag.WithHubAPI("ftp://x")}, `hub API URL "ftp://x"`},
		{"example.org/a", []retag.Option{retag.WithQuayAPI("https://q/?a=b")}, "no query"},
		{"example.org/a", []retag.Option{retag.WithRetries(-1)}, "retries -1"},
		{"example.org/a", []retag.Option{retag.WithBasicAuth("", "pw")}, "password was given without a username"},
		{"example.org/a", []retag.Option{retag.WithPageSize(0)}, "page size 0"},
	}
	for _, tc := range cases {
		_, err := retag.New(tc.image, tc.opts...)
		require.ErrorContains(t, err, tc.want)
	}
}

func TestDetectType(t *testing.T) {
	for host, want := range map[string]retag.Type{
		"docker.io": retag.Hub, "index.docker.io": retag.Hub, "registry-1.docker.io": retag.Hub,
		"quay.io": retag.Quay, "quay.io:443": retag.Quay, "Quay.IO": retag.Quay,
		"registry.example.org": retag.OCI, "127.0.0.1:5000": retag.OCI, "[::1]:5000": retag.OCI,
		"notquay.io": retag.OCI, "docker.io.example.org": retag.OCI,
	} {
		require.Equal(t, want, retag.DetectType(host), host)
	}
	for image, want := range map[string]retag.Type{
		"busybox": retag.Hub, "docker.io/library/busybox": retag.Hub, "quay.io/org/img": retag.Quay,
		"127.0.0.1:5000/org/img": retag.OCI,
	} {
		c, err := retag.New(image)
		require.NoError(t, err)
		require.Equal(t, want, c.Type(), image)
	}
	c, err := retag.New("busybox")
	require.NoError(t, err)
	require.Equal(t, "index.docker.io/library/busybox", c.Repository())
}
