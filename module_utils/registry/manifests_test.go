package registry

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gating/containers/module_utils/registry/manifest"
	"github.com/gating/containers/module_utils/registry/storage"
)

const (
	docker = manifest.MediaTypeDockerManifest
	oci    = manifest.MediaTypeOCIManifest
	list   = manifest.MediaTypeDockerList
	index  = manifest.MediaTypeOCIIndex
)

func TestManifestPutGetVerbatim(t *testing.T) {
	e := newEnv(t)
	config, layer := e.image("r")
	content := append(imageJSON(oci, config, layer), "\n"...)
	r := e.do("PUT", "/v2/r/manifests/v1", content, "Content-Type: "+oci)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	d := sha(content)
	require.Equal(t, d, r.Header.Get("Docker-Content-Digest"))
	require.Equal(t, "/v2/r/manifests/"+d, r.Header.Get("Location"))
	require.Empty(t, r.Header.Get("OCI-Subject"))

	for _, ref := range []string{"v1", d} {
		r = e.do("GET", "/v2/r/manifests/"+ref, nil)
		require.Equal(t, http.StatusOK, r.Status)
		require.Equal(t, content, r.Body, "byte for byte")
		require.Equal(t, d, sha(r.Body))
		require.Equal(t, d, r.Header.Get("Docker-Content-Digest"))
		require.Equal(t, oci, r.Header.Get("Content-Type"))
	}

	// by digest: it must match
	r = e.do("PUT", "/v2/r/manifests/"+sha([]byte("x")), content, "Content-Type: "+oci)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, []string{codeDigestInvalid}, errorCodes(t, r))
	require.Equal(t, d, e.putManifest("r", d, oci, content))
}

func TestManifestBlobUnknown(t *testing.T) {
	e := newEnv(t)
	config, layer := e.image("r")
	missing := fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":3}`, sha([]byte("abc")))
	foreign := fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","digest":%q,"size":3,"urls":["https://example.com/x"]}`, sha([]byte("def")))

	r := e.do("PUT", "/v2/r/manifests/v1", imageJSON(oci, config, layer, missing, foreign), "Content-Type: "+oci)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, []string{codeManifestBlobUnknown}, errorCodes(t, r))
	require.Contains(t, string(r.Body), sha([]byte("abc")))
	require.Equal(t, http.StatusNotFound, e.do("GET", "/v2/r/manifests/v1", nil).Status)

	// foreign layers need not be pushed
	e.putManifest("r", "v1", oci, imageJSON(oci, config, layer, foreign))

	// an index needs its children
	child := imageJSON(oci, config, layer)
	childDesc := fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d}`, oci, sha(child), len(child))
	idx := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[%s]}`, index, childDesc))
	r = e.do("PUT", "/v2/r/manifests/multi", idx, "Content-Type: "+index)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, []string{codeManifestBlobUnknown}, errorCodes(t, r))
	e.putManifest("r", sha(child), oci, child)
	e.putManifest("r", "multi", index, idx)
}

// setupFormats pushes one image as Docker schema 2 and as OCI under the tag
// "latest", docker first.
func setupFormats(t *testing.T, e *env) (dockerDigest, ociDigest string, dockerBody, ociBody []byte) {
	config, layer := e.image("r")
	dockerBody = imageJSON(docker, config, layer)
	ociBody = imageJSON(oci, config, layer)
	dockerDigest = e.putManifest("r", "latest", docker, dockerBody)
	ociDigest = e.putManifest("r", "latest", oci, ociBody)
	return
}

// GET and HEAD by tag serve the format the client asks for; HEAD answers
// the very headers GET does, so clients see consistent digests.
func TestManifestNegotiation(t *testing.T) {
	e := newEnv(t)
	dd, od, _, _ := setupFormats(t, e)
	tests := []struct {
		name   string
		accept []string
		want   string // digest, or "" for 404
	}{
		{"no Accept: the latest push", nil, od},
		{"*/*", []string{"*/*"}, od},
		{"docker", []string{docker}, dd},
		{"oci", []string{oci}, od},
		{"client order", []string{docker + ", " + oci}, dd},
		{"client order, several headers", []string{oci, docker}, od},
		{"q-values beat order", []string{oci + ";q=0.5, " + docker}, dd},
		{"q=0 refuses", []string{docker + ";q=0, " + oci + ";q=0.1"}, od},
		{"wildcard subtype", []string{"application/*"}, od},
		{"after specific types", []string{list + ", " + index + ", */*;q=0.1"}, od},
		{"parameters", []string{docker + "; charset=utf-8"}, dd},
		{"case", []string{strings.ToUpper(docker)}, dd},
		{"nothing acceptable", []string{list + ", " + index}, ""},
		{"everything refused", []string{"*/*;q=0"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			for _, a := range tt.accept {
				headers = append(headers, "Accept: "+a)
			}
			get := e.do("GET", "/v2/r/manifests/latest", nil, headers...)
			head := e.do("HEAD", "/v2/r/manifests/latest", nil, headers...)
			if tt.want == "" {
				require.Equal(t, http.StatusNotFound, get.Status)
				require.Equal(t, http.StatusNotFound, head.Status)
				require.Equal(t, []string{codeManifestUnknown}, errorCodes(t, get))
				require.Contains(t, string(get.Body), oci, "the detail says what is stored")
				return
			}
			require.Equal(t, http.StatusOK, get.Status)
			require.Equal(t, tt.want, get.Header.Get("Docker-Content-Digest"))
			require.Equal(t, tt.want, sha(get.Body))
			require.Equal(t, http.StatusOK, head.Status)
			require.Empty(t, head.Body)
			for _, h := range []string{"Content-Type", "Content-Length", "Docker-Content-Digest"} {
				require.Equal(t, get.Header.Get(h), head.Header.Get(h), h)
				require.NotEmpty(t, head.Header.Get(h), h)
			}
		})
	}
}

// Pushing a different image in one format drops the other formats: a
// client asking for Docker schema 2 must not get the previous image.
func TestTagNamesOneImage(t *testing.T) {
	e := newEnv(t)
	dd, _, _, _ := setupFormats(t, e)
	config2, layer2 := e.image("r")
	od2 := e.putManifest("r", "latest", oci, imageJSON(oci, config2, layer2))

	r := e.do("GET", "/v2/r/manifests/latest", nil, "Accept: "+docker)
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Contains(t, string(r.Body), "stored as "+oci)
	r = e.do("GET", "/v2/r/manifests/latest", nil, "Accept: "+docker, "Accept: "+oci)
	require.Equal(t, od2, r.Header.Get("Docker-Content-Digest"))
	require.Equal(t, http.StatusOK, e.do("GET", "/v2/r/manifests/"+dd, nil).Status, "still there by digest")
}

func TestManifestDelete(t *testing.T) {
	e := newEnv(t)
	dd, od, _, _ := setupFormats(t, e)
	e.putManifest("r", "other", docker, e.do("GET", "/v2/r/manifests/"+dd, nil).Body)

	// by tag: the tag only
	require.Equal(t, http.StatusAccepted, e.do("DELETE", "/v2/r/manifests/other", nil).Status)
	require.Equal(t, http.StatusNotFound, e.do("HEAD", "/v2/r/manifests/other", nil).Status)
	require.Equal(t, http.StatusOK, e.do("HEAD", "/v2/r/manifests/"+dd, nil).Status)

	// by digest: the manifest and its tag entries
	require.Equal(t, http.StatusAccepted, e.do("DELETE", "/v2/r/manifests/"+dd, nil).Status)
	require.Equal(t, http.StatusNotFound, e.do("HEAD", "/v2/r/manifests/"+dd, nil).Status)
	r := e.do("HEAD", "/v2/r/manifests/latest", nil, "Accept: "+docker)
	require.Equal(t, http.StatusNotFound, r.Status)
	r = e.do("HEAD", "/v2/r/manifests/latest", nil)
	require.Equal(t, od, r.Header.Get("Docker-Content-Digest"), "the OCI format remains")
	require.Equal(t, http.StatusAccepted, e.do("DELETE", "/v2/r/manifests/"+od, nil).Status)
	require.Equal(t, http.StatusNotFound, e.do("HEAD", "/v2/r/manifests/latest", nil).Status)
}

func TestManifestSubjectAndTagParameters(t *testing.T) {
	e := newEnv(t)
	config, layer := e.image("r")
	subject := imageJSON(oci, config, layer)
	sd := e.putManifest("r", "v1", oci, subject)
	empty := e.pushBlob("r", []byte("{}"))
	referrer := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"artifactType":"application/x.sig",`+
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":%q,"size":2},"layers":[],`+
		`"subject":{"mediaType":%q,"digest":%q,"size":%d}}`, oci, empty, oci, sd, len(subject)))

	r := e.do("PUT", "/v2/r/manifests/"+sha(referrer)+"?tag=sig&tag=sig-2", referrer, "Content-Type: "+oci)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, sd, r.Header.Get("OCI-Subject"))
	require.Equal(t, []string{"sig", "sig-2"}, r.Header.Values("OCI-Tag"))
	for _, tag := range []string{"sig", "sig-2"} {
		require.Equal(t, sha(referrer), e.do("HEAD", "/v2/r/manifests/"+tag, nil).Header.Get("Docker-Content-Digest"))
	}
	r = e.do("PUT", "/v2/r/manifests/"+sha(referrer)+"?tag=bad/tag", referrer, "Content-Type: "+oci)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, []string{codeTagInvalid}, errorCodes(t, r))
}

func TestNegotiate(t *testing.T) {
	entries := []storage.TagEntry{{Digest: "sha256:a", MediaType: docker}, {Digest: "sha256:b", MediaType: oci}}
	tests := []struct {
		accept []string
		want   string
	}{
		{nil, "sha256:b"},
		{[]string{""}, "sha256:b"},
		{[]string{",,"}, "sha256:b"},
		{[]string{"garbage;;;"}, ""},
		{[]string{docker + ";q=abc, " + oci}, "sha256:b"},
		{[]string{docker + ";q=2"}, ""},
		{[]string{"application/vnd.docker.*"}, ""},
		{[]string{"text/*, application/*;q=0.2, " + docker + ";q=0.1"}, "sha256:b"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.accept, "|"), func(t *testing.T) {
			got, ok := negotiate(tt.accept, entries)
			require.Equal(t, tt.want != "", ok)
			require.Equal(t, tt.want, string(got.Digest))
		})
	}
	_, ok := negotiate(nil, nil)
	require.False(t, ok)
}
