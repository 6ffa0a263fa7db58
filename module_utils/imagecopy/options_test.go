package imagecopy

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewRejectsBadOptions(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, []byte("not a certificate"), 0o644))
	for _, tt := range []struct {
		opt  Option
		want string
	}{
		{WithJobs(0), "jobs 0: want 1 to 64"},
		{WithJobs(65), "jobs 65"},
		{WithRetries(-1), "retries -1"},
		{WithRetryDelay(-time.Second), "retry delay -1s: must not be negative"},
		{WithMaxRetryDelay(-time.Second), "maximum retry delay -1s"},
		{WithPlatform("linux"), `platform "linux": want os/arch`},
		{WithPlatform("a/b/c/d"), `platform "a/b/c/d"`},
		{WithUserAgent(""), "user agent: empty"},
		{WithSource(Endpoint{Username: "u"}), `source: user "u" has no password`},
		{WithDestination(Endpoint{Password: "p"}), "destination: a password without a user name"},
		{WithSource(Endpoint{Username: "a:b", Password: "p"}), `may not contain ':'`},
		{WithSource(Endpoint{CA: []byte("x"), CAFile: "y"}), "CA and CAFile exclude each other"},
		{WithSource(Endpoint{CA: []byte("garbage")}), "source: CA: no PEM certificate in it"},
		{WithDestination(Endpoint{CAFile: caFile}), "destination: CA file " + caFile + ": no PEM certificate"},
		{WithDestination(Endpoint{CAFile: caFile + ".missing"}), "reading CA file"},
	} {
		_, err := New(tt.opt)
		require.ErrorContains(t, err, tt.want)
		require.True(t, strings.HasPrefix(err.Error(), "imagecopy: "), err.Error())
	}
	_, err := New(WithRetryDelay(time.Minute), WithMaxRetryDelay(time.Second))
	require.ErrorContains(t, err, "maximum retry delay 1s is less than the retry delay 1m0s")
	c, err := New(WithRetryDelay(2 * time.Minute))
	require.NoError(t, err)
	require.Equal(t, 2*time.Minute, c.retry.maxDelay, "the default cap grows to the delay")
}

func TestEndpointHidesPassword(t *testing.T) {
	e := Endpoint{Username: "zuul", Password: "s3cret", CA: []byte("pem"), Insecure: true}
	for _, s := range []string{e.String(), fmt.Sprintf("%v %+v %#v %s", e, e, e, e)} {
		require.NotContains(t, s, "s3cret")
		require.Contains(t, s, "user zuul")
	}
	require.Equal(t, "anonymous", Endpoint{}.String())
}

func TestParseReference(t *testing.T) {
	for _, tt := range []struct {
		in                 string
		registry, repo, id string
		err                string
	}{
		{"docker://[::1]:5000/a/b:c", "[::1]:5000", "a/b", "c", ""},
		{"[::1]:5000/a/b:c", "[::1]:5000", "a/b", "c", ""},
		{"127.0.0.1:5101/gating/busybox", "127.0.0.1:5101", "gating/busybox", "latest", ""},
		{"zuul-jobs.buildset-registry:5000/library/alpine:3", "zuul-jobs.buildset-registry:5000", "library/alpine", "3", ""},
		{"docker.io/library/busybox:1", "index.docker.io", "library/busybox", "1", ""},
		{"docker:5000/a:b", "docker:5000", "a", "b", ""},
		{"localhost:5000/a@sha256:" + strings.Repeat("a", 64), "localhost:5000", "a", "sha256:" + strings.Repeat("a", 64), ""},
		{"oci:/tmp/x", "", "", "", "not oci:"},
		{"containers-storage:busybox", "", "", "", "not containers-storage:"},
		{"https://host/a:b", "", "", "", "not https://"},
		{"host:5000/A:b", "", "", "", `image reference "host:5000/A:b"`},
		{"", "", "", "", `image reference ""`},
	} {
		ref, err := ParseReference(tt.in, false)
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.registry, ref.Context().RegistryStr(), tt.in)
		require.Equal(t, tt.repo, ref.Context().RepositoryStr(), tt.in)
		require.Equal(t, tt.id, ref.Identifier(), tt.in)
	}
}

// The package knows nothing of Ansible: it stands on the standard library
// and go-containerregistry (whose authn brings docker's config and
// credential-helper packages, unused here).
func TestDependencyBudget(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	require.NoError(t, err)
	allowed := []string{
		"github.com/gating/containers/module_utils/imagecopy",
		"github.com/google/go-containerregistry/",
		"github.com/docker/cli/cli/config",
		"github.com/docker/docker-credential-helpers/",
		"github.com/opencontainers/go-digest",
		"github.com/sirupsen/logrus",
		"golang.org/x/sys/",
	}
	for _, dep := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(dep, a)
		}
		require.True(t, ok, "unexpected dependency %s", dep)
	}
}

func TestEndpointCheckNoCertificate(t *testing.T) {
	err := Endpoint{CA: []byte("garbage")}.Check()
	require.ErrorIs(t, err, ErrNoCertificate)
	require.EqualError(t, err, "CA: no PEM certificate in it")
	require.NoError(t, Endpoint{}.Check())
}

// HTTPTransport speaks plain HTTP, which Transport refuses, and verifies
// TLS against the endpoint's CA as Transport does.
func TestEndpointHTTPTransport(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer secure.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw})

	guarded, err := Endpoint{}.Transport(1)
	require.NoError(t, err)
	_, err = (&http.Client{Transport: guarded}).Get(plain.URL)
	var pe *PlainHTTPError
	require.ErrorAs(t, err, &pe)

	open, err := Endpoint{CA: ca}.HTTPTransport(1)
	require.NoError(t, err)
	for _, u := range []string{plain.URL, secure.URL} {
		resp, err := (&http.Client{Transport: open}).Get(u)
		require.NoError(t, err, u)
		resp.Body.Close()
	}
	untrusting, err := Endpoint{}.HTTPTransport(1)
	require.NoError(t, err)
	_, err = (&http.Client{Transport: untrusting}).Get(secure.URL)
	require.ErrorContains(t, err, "certificate")
}
