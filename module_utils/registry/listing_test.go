package registry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTagList(t *testing.T) {
	e := newEnv(t)
	config, layer := e.image("r")
	content := imageJSON(oci, config, layer)
	for _, tag := range []string{"e", "c", "a", "d", "b"} {
		e.putManifest("r", tag, oci, content)
	}
	type list struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	get := func(query string) (list, string) {
		r := e.do("GET", "/v2/r/tags/list"+query, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var l list
		require.NoError(t, json.Unmarshal(r.Body, &l))
		return l, r.Header.Get("Link")
	}
	l, link := get("")
	require.Equal(t, list{"r", []string{"a", "b", "c", "d", "e"}}, l)
	require.Empty(t, link)

	// follow the Link headers
	var pages [][]string
	next := "?n=2"
	for i := 0; next != "" && i < 10; i++ {
		l, link = get(next)
		pages = append(pages, l.Tags)
		next = ""
		if link != "" {
			var path string
			_, err := fmt.Sscanf(link, "<%s", &path)
			require.NoError(t, err)
			require.Contains(t, link, `rel="next"`)
			next = path[len("/v2/r/tags/list") : len(path)-2] // strip the path and ">;"
		}
	}
	require.Equal(t, [][]string{{"a", "b"}, {"c", "d"}, {"e"}}, pages)

	l, _ = get("?last=c")
	require.Equal(t, []string{"d", "e"}, l.Tags)
	l, _ = get("?last=bb&n=1")
	require.Equal(t, []string{"c"}, l.Tags)
	l, link = get("?n=0")
	require.Empty(t, l.Tags)
	require.NotNil(t, l.Tags)
	require.Empty(t, link)
	l, _ = get("?last=z")
	require.Equal(t, []string{}, l.Tags)

	r := e.do("GET", "/v2/r/tags/list?n=x", nil)
	require.Equal(t, http.StatusBadRequest, r.Status)

	// a repository with blobs only has an empty list
	e.pushBlob("blobs/only", []byte("x"))
	l, _ = get("")
	require.Equal(t, "r", l.Name)
	r = e.do("GET", "/v2/blobs/only/tags/list", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.JSONEq(t, `{"name":"blobs/only","tags":[]}`, string(r.Body))
}

func TestCatalog(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/v2/_catalog", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.JSONEq(t, `{"repositories":[]}`, string(r.Body))
	for _, repo := range []string{"quay.io/org/img", "library/alpine", "zuul/nodepool"} {
		e.pushBlob(repo, []byte(repo))
	}
	r = e.do("GET", "/v2/_catalog", nil)
	require.JSONEq(t, `{"repositories":["library/alpine","quay.io/org/img","zuul/nodepool"]}`, string(r.Body))
	r = e.do("GET", "/v2/_catalog?n=2", nil)
	require.JSONEq(t, `{"repositories":["library/alpine","quay.io/org/img"]}`, string(r.Body))
	require.Equal(t, `</v2/_catalog?last=quay.io%2Forg%2Fimg&n=2>; rel="next"`, r.Header.Get("Link"))
	r = e.do("GET", "/v2/_catalog?last=quay.io%2Forg%2Fimg&n=2", nil)
	require.JSONEq(t, `{"repositories":["zuul/nodepool"]}`, string(r.Body))
	require.Empty(t, r.Header.Get("Link"))
}

func TestReferrersEndpoint(t *testing.T) {
	e := newEnv(t)
	// nothing refers to an unknown digest, in an unknown repository too
	r := e.do("GET", "/v2/nosuch/referrers/"+sha([]byte("x")), nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, index, r.Header.Get("Content-Type"))
	require.JSONEq(t, `{"schemaVersion":2,"mediaType":"`+index+`","manifests":[]}`, string(r.Body))

	config, layer := e.image("r")
	subject := imageJSON(oci, config, layer)
	sd := e.putManifest("r", "v1", oci, subject)
	empty := e.pushBlob("r", []byte("{}"))
	push := func(artifactType string) string {
		body := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"artifactType":%q,`+
			`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":%q,"size":2},"layers":[],`+
			`"subject":{"mediaType":%q,"digest":%q,"size":%d},"annotations":{"org.example":"%s"}}`,
			oci, artifactType, empty, oci, sd, len(subject), artifactType))
		return e.putManifest("r", sha(body), oci, body)
	}
	sig := push("application/x.sig")
	sbom := push("application/x.sbom")

	type idx struct {
		Manifests []struct {
			Digest       string            `json:"digest"`
			ArtifactType string            `json:"artifactType"`
			Annotations  map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	decode := func(r response) idx {
		var i idx
		require.NoError(t, json.Unmarshal(r.Body, &i))
		return i
	}
	r = e.do("GET", "/v2/r/referrers/"+sd, nil)
	require.Empty(t, r.Header.Get("OCI-Filters-Applied"))
	all := decode(r)
	require.Len(t, all.Manifests, 2)
	require.Equal(t, sig, all.Manifests[0].Digest)
	require.Equal(t, "application/x.sig", all.Manifests[0].Annotations["org.example"])
	require.Equal(t, sbom, all.Manifests[1].Digest)

	r = e.do("GET", "/v2/r/referrers/"+sd+"?artifactType=application/x.sbom", nil)
	require.Equal(t, "artifactType", r.Header.Get("OCI-Filters-Applied"))
	filtered := decode(r)
	require.Len(t, filtered.Manifests, 1)
	require.Equal(t, sbom, filtered.Manifests[0].Digest)
}
