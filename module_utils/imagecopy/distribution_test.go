package imagecopy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/tlsgen"
	"github.com/stretchr/testify/require"
)

// distribution is Debian's docker-registry (distribution 2.8), started
// for one test on 127.0.0.1 and stopped after it.
type distribution struct {
	Host string
	CA   []byte // nil without TLS
	User string
	Pass string
}

func (d *distribution) endpoint() Endpoint {
	return Endpoint{Username: d.User, Password: d.Pass, CA: d.CA, Insecure: d.CA == nil}
}

func startDistribution(t *testing.T, withTLS bool) *distribution {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry (Debian package docker-registry) is not installed")
	}
	htpasswd, err := exec.LookPath("htpasswd")
	if err != nil {
		t.Skip("htpasswd (Debian package apache2-utils) is not installed")
	}
	dir := t.TempDir()
	d := &distribution{Host: freePort(t), User: "pusher", Pass: "p:ss w0rd"}
	line, err := exec.Command(htpasswd, "-Bbn", d.User, d.Pass).Output()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "htpasswd"), line, 0o600))
	tlsConfig := ""
	if withTLS {
		b, err := tlsgen.Generate("127.0.0.1")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cert.pem"), b.CertPEM, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cert.key"), b.KeyPEM, 0o600))
		d.CA = b.CAPEM
		tlsConfig = fmt.Sprintf("  tls:\n    certificate: %s/cert.pem\n    key: %s/cert.key\n", dir, dir)
	}
	config := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s/storage
http:
  addr: %s
%sauth:
  htpasswd:
    realm: test
    path: %s/htpasswd
`, dir, d.Host, tlsConfig, dir)
	cfg := filepath.Join(dir, "config.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(config), 0o644))

	logFile, err := os.Create(filepath.Join(dir, "registry.log"))
	require.NoError(t, err)
	defer logFile.Close()
	output := func() string {
		b, _ := os.ReadFile(logFile.Name())
		return string(b)
	}
	cmd := exec.Command(bin, "serve", cfg)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	client := &http.Client{Timeout: time.Second}
	scheme := "http"
	if d.CA != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(d.CA)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		scheme = "https"
	}
	for i := 0; ; i++ {
		select {
		case err := <-exited:
			t.Fatalf("docker-registry exited: %v\n%s", err, output())
		default:
		}
		resp, err := client.Get(scheme + "://" + d.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			return d
		}
		if i == 200 {
			t.Fatalf("docker-registry did not answer on %s: %v\n%s", d.Host, err, output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Our registry to distribution and back, with credentials, a CA, mounts
// inside distribution, and every digest kept.
func TestCopyDistribution(t *testing.T) {
	for _, withTLS := range []bool{true, false} {
		t.Run(fmt.Sprintf("tls=%v", withTLS), func(t *testing.T) {
			ours, back := startRegistry(t, setup{}), startRegistry(t, setup{})
			dist := startDistribution(t, withTLS)
			shared := random(t, 200<<10)
			amd := ours.pushImage("multi", "", "linux/amd64", shared, random(t, 100<<10))
			arm := ours.pushImage("multi", "", "linux/arm64", shared, random(t, 90<<10))
			idx := ours.pushIndex("multi", "1", []string{"linux/amd64", "linux/arm64"}, amd, arm)
			ctx := context.Background()

			res, err := Copy(ctx, ours.ref("multi:1"), "docker://"+dist.Host+"/gating/multi:1",
				WithSource(ours.endpoint()), WithDestination(dist.endpoint()))
			require.NoError(t, err)
			require.Equal(t, idx.Digest, res.Digest)
			require.Equal(t, []string{amd.Digest, arm.Digest, idx.Digest}, res.Manifests)
			require.Equal(t, 5, res.Uploaded)

			res, err = Copy(ctx, ours.ref("multi:1"), dist.Host+"/gating/multi:1",
				WithSource(ours.endpoint()), WithDestination(dist.endpoint()))
			require.NoError(t, err)
			require.False(t, res.Changed)

			res, err = Copy(ctx, dist.Host+"/gating/multi:1", dist.Host+"/other/multi:2",
				WithSource(dist.endpoint()), WithDestination(dist.endpoint()))
			require.NoError(t, err)
			require.Equal(t, idx.Digest, res.Digest)
			require.Equal(t, 5, res.Mounted)
			require.Zero(t, res.Uploaded)

			res, err = Copy(ctx, dist.Host+"/other/multi:2", back.ref("multi:back"),
				WithSource(dist.endpoint()), WithDestination(back.endpoint()))
			require.NoError(t, err)
			require.Equal(t, idx.Digest, res.Digest)
			requireSame(t, idx, back, "multi", "back")
			requireSame(t, amd, back, "multi", amd.Digest)
			requireSame(t, arm, back, "multi", arm.Digest)

			wrong := dist.endpoint()
			wrong.Password = "nope"
			s := &sleeps{}
			_, err = Copy(ctx, ours.ref("multi:1"), dist.Host+"/gating/multi:3",
				fast(s, WithSource(ours.endpoint()), WithDestination(wrong))...)
			require.ErrorContains(t, err, "registry "+dist.Host+" answered 401 Unauthorized")
			require.Empty(t, s.all())
		})
	}
}
