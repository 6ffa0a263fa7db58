package retag_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/tlsgen"
	"github.com/stretchr/testify/require"
)

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// needTools skips the test where Debian's registry or htpasswd is missing,
// except in CI, which installs them (.ci/setup-host).
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing: .ci/setup-host installs it", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
}

// distribution runs Debian's docker-registry (distribution 2.8) on
// 127.0.0.1 with TLS, htpasswd (bcrypt) auth and deletion enabled, and
// returns it with the directory its blobs are stored in.
func distribution(t *testing.T) (*target, string) {
	t.Helper()
	needTools(t, "docker-registry", "htpasswd")
	dir := t.TempDir()
	bundle, err := tlsgen.Generate("127.0.0.1")
	require.NoError(t, err)
	require.NoError(t, bundle.Write(filepath.Join(dir, "tls")))

	user, pass := "promoter", "s3cret:pass"
	out, err := exec.Command("htpasswd", "-Bbn", user, pass).Output()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "htpasswd"), out, 0o600))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	data := filepath.Join(dir, "data")
	config := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  tls:
    certificate: %s
    key: %s
auth:
  htpasswd:
    realm: basic-realm
    path: %s
`, data, addr, filepath.Join(dir, "tls", "cert.pem"), filepath.Join(dir, "tls", "cert.key"), filepath.Join(dir, "htpasswd"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.yml"), []byte(config), 0o600))

	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	require.NoError(t, err)
	cmd := exec.Command("docker-registry", "serve", filepath.Join(dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
	})

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(bundle.CAPEM))
	tg := &target{host: addr, ca: bundle.CAPEM, user: user, pass: pass, trust: pool, rec: &recorder{}}
	client := &http.Client{Transport: tg.httpsTransport(), Timeout: 2 * time.Second}
	for i := 0; ; i++ {
		resp, err := client.Get("https://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				break
			}
		}
		if i == 100 {
			log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			t.Fatalf("docker-registry did not answer on %s: %v\n%s", addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return tg, data
}

func (tg *target) httpsTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: tg.trust}
	return tr
}

// blobFiles lists the blobs distribution stores, and any upload in
// progress.
func blobFiles(t *testing.T, data string) []string {
	t.Helper()
	var files []string
	err := filepath.Walk(data, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() && (strings.Contains(p, "/blobs/") || strings.Contains(p, "/_uploads/")) {
			files = append(files, strings.TrimPrefix(p, data))
		}
		return nil
	})
	require.NoError(t, err)
	return files
}
