//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// multiPlatformImage writes an OCI index of two images, linux/amd64 and
// linux/arm64, each of its own random layers plus one they share, and
// names it tag.
func multiPlatformImage(t *testing.T, dir, tag string) (*layout, content) {
	t.Helper()
	l := newLayout(t, dir)
	rnd := newRand()
	shared := l.putLayer(2*MiB, rnd)
	amd64 := l.putImage(platform{Architecture: "amd64", OS: "linux"}, shared, l.putLayer(3*MiB, rnd), l.putLayer(512<<10, rnd))
	arm64 := l.putImage(platform{Architecture: "arm64", OS: "linux"}, shared, l.putLayer(3*MiB+17, rnd))
	l.tag(tag, l.putIndex(amd64, arm64))
	return l, l.content(tag)
}

func TestSkopeoMultiPlatformRoundTrip(t *testing.T) {
	s := newServer(t)
	sk := newSkopeo(t, s)
	out, err := sk.login(writeUser, s.password)
	require.NoError(t, err, out)

	src, want := multiPlatformImage(t, filepath.Join(t.TempDir(), "src"), "v1")
	require.Equal(t, mtIndex, want.top.MediaType)
	require.Len(t, want.manifests, 3, "the index and two images")

	out, err = sk.copy("oci:"+src.dir+":v1", s.ref("multi/arch", "v1"))
	require.NoError(t, err, out)

	// in the registry: the same index, the same manifests, every blob
	requireSameContent(t, want, s.registryContent("multi/arch", "v1"))
	s.requireBlobsServed("multi/arch", want)
	raw, err := sk.inspectRaw(s.ref("multi/arch", "v1"))
	require.NoError(t, err)
	require.Equal(t, want.top.Digest, sha256Digest(raw), "skopeo inspect --raw")
	// each platform's manifest by digest, as a client that resolved the index reads it
	for d, b := range want.manifests {
		raw, err := sk.inspectRaw("docker://" + s.host + "/multi/arch@" + d)
		require.NoError(t, err)
		require.Equal(t, string(b), string(raw), "manifest %s", d)
	}

	// out again, anonymously, into another layout
	dst := filepath.Join(t.TempDir(), "dst")
	out, err = sk.copy(s.ref("multi/arch", "v1"), "oci:"+dst+":v1", "--src-no-creds")
	require.NoError(t, err, out)
	pulled := openLayout(t, dst)
	got := pulled.content("v1")
	requireSameContent(t, want, got)
	pulled.requireBlobsIntact(got)

	// registry to registry, by digest, keeps every digest too
	out, err = sk.copy("docker://"+s.host+"/multi/arch@"+want.top.Digest, s.ref("multi/copy", "v1"))
	require.NoError(t, err, out)
	requireSameContent(t, want, s.registryContent("multi/copy", "v1"))

	require.Equal(t, len(want.manifests)+len(want.blobs), s.requireStoredBlobsIntact(), "blobs in storage: the manifests and the image's blobs")
}

// dockerCertsDir is where dockerd looks for the CA of a registry.
func dockerCertsDir(host string) string { return filepath.Join("/etc/docker/certs.d", host) }

func TestDockerPushPullRun(t *testing.T) {
	for _, tool := range []string{"docker", "busybox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required: %v", tool, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	built, err := exec.CommandContext(ctx, filepath.Join(top, "tests", "lib", "busybox-image")).CombinedOutput()
	require.NoError(t, err, "tests/lib/busybox-image: %s", built)

	s := newServer(t)
	// the port is this registry's, so a directory for it is stale
	certs := dockerCertsDir(s.host)
	require.NoError(t, os.MkdirAll(certs, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(certs) })
	require.NoError(t, os.WriteFile(filepath.Join(certs, "ca.crt"), s.caPEM, 0o644))

	d := newDockerCLI(t)
	name := s.host + "/e2e/busybox"
	tag := name + ":" + randomHex(6)
	// an image of its own, from local/busybox plus a layer with a marker,
	// so that its pull downloads something and removing it harms nobody
	marker := "marker " + randomHex(16)
	markerFile := filepath.Join(t.TempDir(), "marker")
	require.NoError(t, os.WriteFile(markerFile, []byte(marker), 0o644))
	ctr := "e2e-registry-" + randomHex(6)
	d.mustRun("create", "--name", ctr, "local/busybox:latest", "true")
	t.Cleanup(func() { _, _ = d.run("", "rm", "-f", ctr) })
	d.mustRun("cp", markerFile, ctr+":/marker")
	d.mustRun("commit", ctr, tag)
	t.Cleanup(func() { _, _ = d.run("", "rmi", "-f", tag) })
	d.mustRun("rm", ctr)

	// no push without login
	out, err := d.run("", "push", tag)
	require.Error(t, err, "an anonymous docker push succeeded:\n%s", out)
	t.Logf("anonymous push: %s", lastLine(out))
	require.Contains(t, out, "unauthorized")
	// nor with a wrong password
	out, err = d.run("wrong\n", "login", "-u", writeUser, "--password-stdin", s.host)
	require.Error(t, err, "docker login with a wrong password succeeded:\n%s", out)
	t.Logf("wrong password: %s", lastLine(out))
	require.Contains(t, out, "unauthorized")

	out, err = d.run(s.password+"\n", "login", "-u", writeUser, "--password-stdin", s.host)
	require.NoError(t, err, out)
	t.Cleanup(func() { _, _ = d.run("", "logout", s.host) })
	out = d.mustRun("push", tag)
	pushed := ""
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "sha256:") && len(f) == 71 {
			pushed = f
		}
	}
	require.NotEmpty(t, pushed, "no digest in docker push's output:\n%s", out)

	// the registry holds what docker pushed, byte for byte
	repoTag := strings.TrimPrefix(tag, s.host+"/")
	repo, ref, _ := strings.Cut(repoTag, ":")
	c := s.registryContent(repo, ref)
	require.Equal(t, pushed, c.top.Digest)
	require.Equal(t, mtDockerManifest, c.top.MediaType)
	require.Len(t, c.blobs, 3, "config and two layers")
	s.requireBlobsServed(repo, c)

	out = d.mustRun("logout", s.host)
	t.Logf("%s", strings.TrimSpace(out))
	cfg, err := os.ReadFile(filepath.Join(envOf(d.env, "DOCKER_CONFIG"), "config.json"))
	require.NoError(t, err)
	require.NotContains(t, string(cfg), s.host, "docker logout left the credentials")

	// gone from the daemon, back from the registry anonymously (the
	// marker layer is downloaded; the busybox layer stays, local/busybox
	// holds it), and it runs
	d.mustRun("rmi", tag)
	_, err = d.run("", "image", "inspect", tag)
	require.Error(t, err, "the image is still in the daemon")
	d.mustRun("pull", tag)
	digests := d.mustRun("image", "inspect", "--format", "{{json .RepoDigests}}", tag)
	require.Contains(t, digests, name+"@"+pushed)
	got := d.mustRun("run", "--rm", tag, "cat", "/marker")
	require.Equal(t, marker, strings.TrimSpace(got))
}

func envOf(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}
