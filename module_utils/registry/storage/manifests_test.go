package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gating/containers/module_utils/registry/manifest"
	"github.com/gating/containers/module_utils/registry/reference"
)

func TestPutManifestStoresVerbatim(t *testing.T) {
	s := openStore(t)
	config, layer := image(t, s, "r")
	content, m := imageManifest(t, manifest.MediaTypeOCIManifest, config, layer)
	content = append(content, "\n  "...) // whitespace is part of the manifest
	d := putManifest(t, s, "r", content, m, "latest")

	rev, got, err := s.Manifest("r", d)
	require.NoError(t, err)
	require.Equal(t, content, got)
	require.Equal(t, d, rev.Digest)
	require.Equal(t, manifest.MediaTypeOCIManifest, rev.MediaType)
	require.Equal(t, int64(len(content)), rev.Size)
	entries, err := s.Tag("r", "latest")
	require.NoError(t, err)
	require.Equal(t, []TagEntry{{Digest: d, MediaType: manifest.MediaTypeOCIManifest}}, entries)

	// the digest must match the content
	err = s.PutManifest("r", reference.SHA256.FromBytes([]byte("other")), content, m)
	require.ErrorIs(t, err, ErrDigestMismatch)
}

func TestPutManifestRequiresItsBlobs(t *testing.T) {
	s := openStore(t)
	config, layer := image(t, s, "r")
	missingLayer := desc{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: reference.SHA256.FromBytes([]byte("nope")), Size: 4}
	foreign := desc{MediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Digest: reference.SHA256.FromBytes([]byte("far")), Size: 3, URLs: []string{"https://example.com/far"}}
	content, m := imageManifest(t, manifest.MediaTypeOCIManifest, config, layer, missingLayer, foreign)

	err := s.PutManifest("r", reference.SHA256.FromBytes(content), content, m, "latest")
	var me *MissingError
	require.ErrorAs(t, err, &me)
	require.ErrorIs(t, err, ErrReferenceMissing)
	require.Equal(t, []reference.Digest{missingLayer.Digest}, me.Blobs, "foreign layers are not required")
	_, err = s.Tag("r", "latest")
	require.ErrorIs(t, err, ErrTagUnknown, "nothing was stored")
	_, err = s.Revision("r", reference.SHA256.FromBytes(content))
	require.ErrorIs(t, err, ErrManifestUnknown)

	// blobs of another repository do not count
	content2, m2 := imageManifest(t, manifest.MediaTypeOCIManifest, config, layer)
	err = s.PutManifest("other", reference.SHA256.FromBytes(content2), content2, m2)
	require.ErrorAs(t, err, &me)
	require.Len(t, me.Blobs, 2)

	// with the foreign layer only, the manifest is accepted
	content3, m3 := imageManifest(t, manifest.MediaTypeOCIManifest, config, layer, foreign)
	putManifest(t, s, "r", content3, m3)
}

func TestPutIndexRequiresItsChildren(t *testing.T) {
	s := openStore(t)
	config, layer := image(t, s, "r")
	child, cm := imageManifest(t, manifest.MediaTypeOCIManifest, config, layer)
	childDesc := desc{MediaType: manifest.MediaTypeOCIManifest, Digest: reference.SHA256.FromBytes(child), Size: int64(len(child))}
	index, im := indexManifest(t, manifest.MediaTypeOCIIndex, childDesc)

	err := s.PutManifest("r", reference.SHA256.FromBytes(index), index, im)
	var me *MissingError
	require.ErrorAs(t, err, &me)
	require.Equal(t, []reference.Digest{childDesc.Digest}, me.Manifests)

	putManifest(t, s, "r", child, cm)
	d := putManifest(t, s, "r", index, im, "multi")
	entries, err := s.Tag("r", "multi")
	require.NoError(t, err)
	require.Equal(t, d, entries[0].Digest)
}

// A tag keeps one image in several formats (Docker schema 2 and OCI,
// zuul-registry's behaviour), but pushing another image in one format
// drops the stale entries of the others.
func TestTagFormatsOfOneImage(t *testing.T) {
	s := openStore(t)
	config, layer := image(t, s, "r")
	docker, dm := imageManifest(t, manifest.MediaTypeDockerManifest, config, layer)
	oci, om := imageManifest(t, manifest.MediaTypeOCIManifest, config, layer)
	dd := putManifest(t, s, "r", docker, dm, "latest")
	od := putManifest(t, s, "r", oci, om, "latest")

	entries, err := s.Tag("r", "latest")
	require.NoError(t, err)
	require.Equal(t, []TagEntry{
		{Digest: dd, MediaType: manifest.MediaTypeDockerManifest},
		{Digest: od, MediaType: manifest.MediaTypeOCIManifest},
	}, entries, "same image: both formats kept, the latest last")

	// pushing the docker format again moves it to the end
	putManifest(t, s, "r", docker, dm, "latest")
	entries, err = s.Tag("r", "latest")
	require.NoError(t, err)
	require.Equal(t, []reference.Digest{od, dd}, []reference.Digest{entries[0].Digest, entries[1].Digest})

	// a new image as OCI: the docker entry, now stale, goes
	config2, layer2 := image(t, s, "r")
	oci2, om2 := imageManifest(t, manifest.MediaTypeOCIManifest, config2, layer2)
	od2 := putManifest(t, s, "r", oci2, om2, "latest")
	entries, err = s.Tag("r", "latest")
	require.NoError(t, err)
	require.Equal(t, []TagEntry{{Digest: od2, MediaType: manifest.MediaTypeOCIManifest}}, entries)

	// the old manifests stay reachable by digest
	_, _, err = s.Manifest("r", dd)
	require.NoError(t, err)
}

// A Docker manifest list and its OCI conversion hold the same images
// although their children (converted too) have different digests.
func TestTagFormatsOfOneIndex(t *testing.T) {
	s := openStore(t)
	config, layer := image(t, s, "r")
	docker, dm := imageManifest(t, manifest.MediaTypeDockerManifest, config, layer)
	oci, om := imageManifest(t, manifest.MediaTypeOCIManifest, config, layer)
	dd := putManifest(t, s, "r", docker, dm)
	od := putManifest(t, s, "r", oci, om)
	amd64 := &manifest.Platform{OS: "linux", Architecture: "amd64"}
	list, lm := indexManifest(t, manifest.MediaTypeDockerList, desc{MediaType: manifest.MediaTypeDockerManifest, Digest: dd, Size: int64(len(docker)), Platform: amd64})
	index, ixm := indexManifest(t, manifest.MediaTypeOCIIndex, desc{MediaType: manifest.MediaTypeOCIManifest, Digest: od, Size: int64(len(oci)), Platform: amd64})
	ld := putManifest(t, s, "r", list, lm, "v1")
	id := putManifest(t, s, "r", index, ixm, "v1")
	entries, err := s.Tag("r", "v1")
	require.NoError(t, err)
	require.Equal(t, []reference.Digest{ld, id}, []reference.Digest{entries[0].Digest, entries[1].Digest})

	// an index of another platform is another image
	arm, armm := indexManifest(t, manifest.MediaTypeDockerList, desc{MediaType: manifest.MediaTypeDockerManifest, Digest: dd, Size: int64(len(docker)), Platform: &manifest.Platform{OS: "linux", Architecture: "arm64"}})
	armd := putManifest(t, s, "r", arm, armm, "v1")
	entries, err = s.Tag("r", "v1")
	require.NoError(t, err)
	require.Equal(t, []TagEntry{{Digest: armd, MediaType: manifest.MediaTypeDockerList}}, entries)
}

func TestDeleteManifestRemovesItsTags(t *testing.T) {
	s := openStore(t)
	config, layer := image(t, s, "r")
	docker, dm := imageManifest(t, manifest.MediaTypeDockerManifest, config, layer)
	oci, om := imageManifest(t, manifest.MediaTypeOCIManifest, config, layer)
	dd := putManifest(t, s, "r", docker, dm, "a", "b")
	od := putManifest(t, s, "r", oci, om, "b")

	require.NoError(t, s.DeleteManifest("r", dd))
	_, err := s.Tag("r", "a")
	require.ErrorIs(t, err, ErrTagUnknown, "a tag left without entries is removed")
	entries, err := s.Tag("r", "b")
	require.NoError(t, err)
	require.Equal(t, []TagEntry{{Digest: od, MediaType: manifest.MediaTypeOCIManifest}}, entries)
	_, _, err = s.Manifest("r", dd)
	require.ErrorIs(t, err, ErrManifestUnknown)
	require.ErrorIs(t, s.DeleteManifest("r", dd), ErrManifestUnknown)
	tags, err := s.Tags("r")
	require.NoError(t, err)
	require.Equal(t, []string{"b"}, tags)
}

func TestDeleteTagKeepsTheManifest(t *testing.T) {
	s := openStore(t)
	config, layer := image(t, s, "r")
	content, m := imageManifest(t, manifest.MediaTypeOCIManifest, config, layer)
	d := putManifest(t, s, "r", content, m, "latest")
	require.NoError(t, s.DeleteTag("r", "latest"))
	require.ErrorIs(t, s.DeleteTag("r", "latest"), ErrTagUnknown)
	_, _, err := s.Manifest("r", d)
	require.NoError(t, err)
	tags, err := s.Tags("r")
	require.NoError(t, err)
	require.Empty(t, tags)
	require.NotNil(t, tags, "an empty list, not null")
	_, err = s.Tags("unknown")
	require.ErrorIs(t, err, ErrRepositoryUnknown)
}

func TestReferrers(t *testing.T) {
	s := openStore(t)
	config, layer := image(t, s, "r")
	subject, sm := imageManifest(t, manifest.MediaTypeOCIManifest, config, layer)
	sd := putManifest(t, s, "r", subject, sm)

	// a referrer pushed with a subject that does not exist is recorded too
	missing := reference.SHA256.FromBytes([]byte("not pushed"))
	empty := pushBlob(t, s, "r", []byte("{}"))
	refer := func(subj reference.Digest, artifactType string) ([]byte, *manifest.Manifest) {
		content := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"` + artifactType +
			`","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` + string(empty) + `","size":2},"layers":[],` +
			`"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + string(subj) + `","size":1},"annotations":{"k":"v"}}`)
		m, err := manifest.Parse("", content)
		require.NoError(t, err)
		return content, m
	}
	c1, m1 := refer(sd, "application/x.sig")
	c2, m2 := refer(sd, "application/x.sbom")
	c3, m3 := refer(missing, "application/x.sig")
	d1 := putManifest(t, s, "r", c1, m1)
	d2 := putManifest(t, s, "r", c2, m2)
	putManifest(t, s, "r", c1, m1) // again: listed once
	d3 := putManifest(t, s, "r", c3, m3)

	refs, err := s.Referrers("r", sd)
	require.NoError(t, err)
	require.Len(t, refs, 2)
	require.Equal(t, d1, refs[0].Digest)
	require.Equal(t, "application/x.sig", refs[0].ArtifactType)
	require.Equal(t, int64(len(c1)), refs[0].Size)
	require.Equal(t, manifest.MediaTypeOCIManifest, refs[0].MediaType)
	require.Equal(t, map[string]string{"k": "v"}, refs[0].Annotations)
	require.Equal(t, d2, refs[1].Digest)
	refs, err = s.Referrers("r", missing)
	require.NoError(t, err)
	require.Equal(t, d3, refs[0].Digest)
	refs, err = s.Referrers("other", sd)
	require.NoError(t, err)
	require.Empty(t, refs, "referrers are per repository")

	require.NoError(t, s.DeleteManifest("r", d1))
	refs, err = s.Referrers("r", sd)
	require.NoError(t, err)
	require.Len(t, refs, 1)
	require.Equal(t, d2, refs[0].Digest)
	require.NoError(t, s.DeleteManifest("r", d2))
	refs, err = s.Referrers("r", sd)
	require.NoError(t, err)
	require.Empty(t, refs)
}

func TestBlobDeleteAndMount(t *testing.T) {
	s := openStore(t)
	data := randomBytes(t, 100)
	d := pushBlob(t, s, "src", data)

	require.NoError(t, s.MountBlob("dst", "src", d))
	require.Equal(t, data, readBlob(t, s, "dst", d))
	require.ErrorIs(t, s.MountBlob("dst2", "elsewhere", d), ErrBlobUnknown)
	require.NoError(t, s.MountBlob("dst3", "", d), "from anywhere in the store")
	unknown := reference.SHA256.FromBytes([]byte("unknown"))
	require.ErrorIs(t, s.MountBlob("dst4", "", unknown), ErrBlobUnknown)

	require.NoError(t, s.DeleteBlob("src", d))
	require.ErrorIs(t, s.DeleteBlob("src", d), ErrBlobUnknown)
	_, err := s.StatBlob("src", d)
	require.ErrorIs(t, err, ErrBlobUnknown)
	require.Equal(t, data, readBlob(t, s, "dst", d), "other repositories keep it")
}

func TestInvalidInputNeverReachesAPath(t *testing.T) {
	s := openStore(t)
	d := reference.SHA256.FromBytes(nil)
	for _, bad := range []string{"../x", "a/../../b", "/abs", "A", ""} {
		_, err := s.StatBlob(bad, d)
		require.ErrorIs(t, err, ErrInvalidInput, bad)
		_, err = s.NewUpload(bad)
		require.ErrorIs(t, err, ErrInvalidInput, bad)
		_, err = s.Tags(bad)
		require.ErrorIs(t, err, ErrInvalidInput, bad)
	}
	for _, bad := range []reference.Digest{"sha256:../../x", "md5:abc", "sha256:ABC"} {
		_, err := s.StatBlob("r", bad)
		require.ErrorIs(t, err, ErrInvalidInput, string(bad))
		_, err = s.Referrers("r", bad)
		require.ErrorIs(t, err, ErrInvalidInput, string(bad))
	}
	for _, bad := range []string{"../x", ".hidden", "a/b"} {
		_, err := s.Tag("r", bad)
		require.ErrorIs(t, err, ErrInvalidInput, bad)
	}
}

// The catalog is rebuilt from disk on Open.
func TestRepositoriesSurviveRestart(t *testing.T) {
	root := t.TempDir()
	s1, err := Open(root)
	require.NoError(t, err)
	pushBlob(t, s1, "library/alpine", []byte("a"))
	pushBlob(t, s1, "library/alpine/sub", []byte("b"))
	pushBlob(t, s1, "quay.io/org/img", []byte("c"))
	want := []string{"library/alpine", "library/alpine/sub", "quay.io/org/img"}
	require.Equal(t, want, s1.Repositories())
	s2, err := Open(root)
	require.NoError(t, err)
	require.Equal(t, want, s2.Repositories())
}

func TestOpenFailsOnAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	_, err := Open(path)
	require.Error(t, err)
	require.Contains(t, err.Error(), path)
	require.False(t, errors.Is(err, ErrInvalidInput))
}

// skopeo copy --format oci rewrites the config blob: the Docker and the OCI
// manifest then name different configs, yet hold the same image, and the
// tag keeps both formats (FEATURES C4). A different command is another
// image.
func TestTagFormatsOfAConvertedImage(t *testing.T) {
	s := openStore(t)
	dockerConfig, err := os.ReadFile("../manifest/testdata/config-docker.json")
	require.NoError(t, err)
	ociConfig, err := os.ReadFile("../manifest/testdata/config-skopeo-oci.json")
	require.NoError(t, err)
	layer := randomBytes(t, 100)
	ld := pushBlob(t, s, "r", layer)
	dc := desc{MediaType: manifest.MediaTypeDockerConfig, Digest: pushBlob(t, s, "r", dockerConfig), Size: int64(len(dockerConfig))}
	oc := desc{MediaType: manifest.MediaTypeOCIConfig, Digest: pushBlob(t, s, "r", ociConfig), Size: int64(len(ociConfig))}
	docker, dm := imageManifest(t, manifest.MediaTypeDockerManifest, dc, desc{MediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", Digest: ld, Size: 100})
	oci, om := imageManifest(t, manifest.MediaTypeOCIManifest, oc, desc{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: ld, Size: 100})
	dd := putManifest(t, s, "r", docker, dm, "latest")
	od := putManifest(t, s, "r", oci, om, "latest")
	entries, err := s.Tag("r", "latest")
	require.NoError(t, err)
	require.Equal(t, []reference.Digest{dd, od}, []reference.Digest{entries[0].Digest, entries[1].Digest})

	changed := []byte(strings.Replace(string(dockerConfig), `"Cmd":["/bin/sh"]`, `"Cmd":["/bin/ash"]`, 1))
	cc := desc{MediaType: manifest.MediaTypeDockerConfig, Digest: pushBlob(t, s, "r", changed), Size: int64(len(changed))}
	docker2, dm2 := imageManifest(t, manifest.MediaTypeDockerManifest, cc, desc{MediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", Digest: ld, Size: 100})
	dd2 := putManifest(t, s, "r", docker2, dm2, "latest")
	entries, err = s.Tag("r", "latest")
	require.NoError(t, err)
	require.Equal(t, []TagEntry{{Digest: dd2, MediaType: manifest.MediaTypeDockerManifest}}, entries,
		"same layers, another command: the OCI entry is stale and goes")
}
