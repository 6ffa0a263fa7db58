//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bigLayerSize is a random size between 64 and 128 MiB.
func bigLayerSize() int64 { return 64*MiB + mrand.Int64N(64*MiB) }

// push is a skopeo copy running in the background.
type push struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
	err  error
}

// startPush starts skopeo copy src dst; the test's cleanup kills it if
// it still runs.
func (k *skopeo) startPush(t *testing.T, src, dst string) *push {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	cmd, out := k.command(ctx, "", k.copyArgs(src, dst)...)
	p := &push{cmd: cmd, out: out, done: make(chan struct{})}
	require.NoError(t, cmd.Start())
	go func() {
		p.err = cmd.Wait()
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// wait returns the push's error once it has ended (bounded by clientTimeout).
func (p *push) wait() error {
	<-p.done
	return p.err
}

func (p *push) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// uploadProgress is what the registry holds of the blobs in want: the
// bytes of the upload sessions in progress (but session ignore) and of
// the blobs committed.
func (s *server) uploadProgress(t *testing.T, want content, ignore string) (sessions int, inFlight, committed int64) {
	entries, err := os.ReadDir(filepath.Join(s.storage, "uploads"))
	require.NoError(t, err)
	for _, e := range entries {
		if e.Name() == ignore {
			continue
		}
		if fi, err := os.Stat(filepath.Join(s.storage, "uploads", e.Name(), "data")); err == nil {
			sessions++
			inFlight += fi.Size()
		}
	}
	for d := range want.blobs {
		hexPart := strings.TrimPrefix(d, "sha256:")
		if fi, err := os.Stat(filepath.Join(s.storage, "blobs", "sha256", hexPart[:2], hexPart)); err == nil {
			committed += fi.Size()
		}
	}
	return sessions, inFlight, committed
}

// requireAbsentOrComplete checks that the image repo:tag is either not
// there at all or is want, whole; and that every blob of want the
// registry serves is intact.
func (s *server) requireAbsentOrComplete(repo, tag string, want content) bool {
	t := s.t
	t.Helper()
	r := s.do(http.MethodGet, "/v2/"+repo+"/manifests/"+tag, "", nil, "Accept", acceptAll)
	byDigest := s.do(http.MethodGet, "/v2/"+repo+"/manifests/"+want.top.Digest, "", nil, "Accept", acceptAll)
	for d, size := range want.blobs {
		got, n, status := s.hashBlob(repo, d)
		switch status {
		case http.StatusNotFound:
		case http.StatusOK:
			require.Equal(t, d, got, "blob %s served after the crash", d)
			require.Equal(t, size, n, "blob %s served after the crash", d)
		default:
			t.Fatalf("blob %s: status %d, want 200 or 404", d, status)
		}
	}
	if r.status == http.StatusNotFound {
		require.Equal(t, http.StatusNotFound, byDigest.status, "the manifest is there by digest but not by tag")
		return false
	}
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	requireSameContent(t, want, s.registryContent(repo, tag))
	s.requireBlobsServed(repo, want)
	return true
}

func TestKillDuringPush(t *testing.T) {
	s := newServer(t)
	sk := newSkopeo(t, s)
	out, err := sk.login(writeUser, s.password)
	require.NoError(t, err, out)

	// an image pushed completely before the crash
	done, wantDone := multiPlatformImage(t, filepath.Join(t.TempDir(), "done"), "v1")
	out, err = sk.copy("oci:"+done.dir+":v1", s.ref("fault/done", "v1"))
	require.NoError(t, err, out)

	// a large image, whose push is cut by the crash
	big := newLayout(t, filepath.Join(t.TempDir(), "big"))
	rnd := newRand()
	var layers []layer
	for range 4 {
		layers = append(layers, big.putLayer(bigLayerSize(), rnd))
	}
	img := big.putImage(platform{Architecture: "amd64", OS: "linux"}, layers...)
	img.Platform = nil
	big.tag("v1", img)
	wantBig := big.content("v1")
	total := wantBig.size()
	t.Logf("large image: %d layers, %s", len(layers), fmtSize(total))

	// an upload session half done before the crash, to be resumed after it
	authz := basic(writeUser, s.password)
	resumed := make([]byte, 3*MiB+5)
	_, _ = rnd.Read(resumed)
	half := len(resumed) / 2
	r := s.do(http.MethodPost, uploadPath("fault/resume"), authz, nil)
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	session, sessionID := r.header.Get("Location"), r.header.Get("Docker-Upload-UUID")
	require.True(t, strings.HasSuffix(session, "/"+sessionID), "Location %s, UUID %s", session, sessionID)
	r = s.do(http.MethodPatch, session, authz, resumed[:half], "Content-Range", fmt.Sprintf("0-%d", half-1))
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)

	p := sk.startPush(t, "oci:"+big.dir+":v1", s.ref("fault/big", "v1"))
	deadline := time.Now().Add(2 * time.Minute)
	var sessions int
	var inFlight, committed int64
	for {
		sessions, inFlight, committed = s.uploadProgress(t, wantBig, sessionID)
		// a good part of the bytes in, and some still arriving
		if inFlight+committed >= total*2/5 && inFlight > 0 {
			break
		}
		if p.exited() {
			t.Fatalf("the push ended before the crash (%v):\n%s", p.wait(), p.out)
		}
		require.True(t, time.Now().Before(deadline), "the registry received %s of %s in 2 minutes", fmtSize(inFlight+committed), fmtSize(total))
		time.Sleep(5 * time.Millisecond)
	}
	s.kill9()
	t.Logf("killed the registry with %s in %d upload sessions and %s committed, of %s",
		fmtSize(inFlight), sessions, fmtSize(committed), fmtSize(total))
	require.Error(t, p.wait(), "the push succeeded although the registry was killed:\n%s", p.out)
	t.Logf("skopeo: %s", lastLine(p.out.String()))

	s.start()

	// what was pushed before the crash is intact
	raw, err := sk.inspectRaw(s.ref("fault/done", "v1"))
	require.NoError(t, err)
	require.Equal(t, wantDone.top.Digest, sha256Digest(raw))
	requireSameContent(t, wantDone, s.registryContent("fault/done", "v1"))
	s.requireBlobsServed("fault/done", wantDone)
	// nothing partial or corrupt is in place
	n := s.requireStoredBlobsIntact()
	t.Logf("after the crash: %d blobs in storage, every one hashes to its name", n)
	// the interrupted image is not half there
	complete := s.requireAbsentOrComplete("fault/big", "v1", wantBig)
	t.Logf("after the crash the interrupted image is %s", map[bool]string{false: "absent", true: "complete"}[complete])
	_, err = sk.inspectRaw(s.ref("fault/big", "v1"), "--no-creds")
	require.Equal(t, complete, err == nil, "skopeo sees the interrupted image as %v", err == nil)

	// the session acknowledged before the crash resumes where it was
	r = s.do(http.MethodGet, session, authz, nil)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	require.Equal(t, fmt.Sprintf("0-%d", half-1), r.header.Get("Range"))
	r = s.do(http.MethodPatch, session, authz, resumed[half:], "Content-Range", fmt.Sprintf("%d-%d", half, len(resumed)-1))
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	r = s.do(http.MethodPut, session+"?digest="+sha256Digest(resumed), authz, nil)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	got, size, status := s.hashBlob("fault/resume", sha256Digest(resumed))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, sha256Digest(resumed), got)
	require.EqualValues(t, len(resumed), size)

	// the sessions the crash cut hold a prefix of their layer, and resume
	// from there
	entries, err := os.ReadDir(filepath.Join(s.storage, "uploads"))
	require.NoError(t, err)
	cut := 0
	for _, e := range entries {
		if e.Name() == sessionID {
			continue
		}
		loc := uploadPath("fault/big") + e.Name()
		if _, err := os.Stat(filepath.Join(s.storage, "uploads", e.Name(), "info")); os.IsNotExist(err) {
			// killed while the session was being created: it never was
			r = s.do(http.MethodGet, loc, authz, nil)
			require.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.storage, "uploads", e.Name(), "data"))
		require.NoError(t, err)
		ly, ok := layerWithPrefix(t, big, layers, data)
		require.True(t, ok, "upload session %s holds %s that start no layer", e.Name(), fmtSize(int64(len(data))))
		r = s.do(http.MethodGet, loc, authz, nil)
		require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
		require.Equal(t, uploadRange(len(data)), r.header.Get("Range"))
		if rest := big.readBlob(ly.Digest)[len(data):]; len(rest) > 0 {
			r = s.do(http.MethodPatch, loc, authz, rest, "Content-Range", fmt.Sprintf("%d-%d", len(data), ly.Size-1))
			require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
		}
		r = s.do(http.MethodPut, loc+"?digest="+ly.Digest, authz, nil)
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
		got, size, status := s.hashBlob("fault/big", ly.Digest)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, ly.Digest, got)
		require.Equal(t, ly.Size, size)
		cut++
	}
	t.Logf("%d upload sessions cut by the crash resumed and committed", cut)

	// the push, retried, succeeds, and the image comes back whole
	out, err = sk.copy("oci:"+big.dir+":v1", s.ref("fault/big", "v1"))
	require.NoError(t, err, out)
	requireSameContent(t, wantBig, s.registryContent("fault/big", "v1"))
	s.requireBlobsServed("fault/big", wantBig)
	pulledDir := filepath.Join(t.TempDir(), "pulled")
	out, err = sk.copy(s.ref("fault/big", "v1"), "oci:"+pulledDir+":v1", "--src-no-creds")
	require.NoError(t, err, out)
	pulled := openLayout(t, pulledDir)
	pulledContent := pulled.content("v1")
	requireSameContent(t, wantBig, pulledContent)
	pulled.requireBlobsIntact(pulledContent)
	s.requireStoredBlobsIntact()
	// and the image of before is still untouched
	requireSameContent(t, wantDone, s.registryContent("fault/done", "v1"))
}

func TestConcurrentPushesShareLayers(t *testing.T) {
	// two images made of the same two large layers and one small layer each
	l := newLayout(t, filepath.Join(t.TempDir(), "src"))
	rnd := newRand()
	shared := []layer{l.putLayer(bigLayerSize(), rnd), l.putLayer(bigLayerSize(), rnd)}
	for _, name := range []string{"one", "two"} {
		img := l.putImage(platform{Architecture: "amd64", OS: "linux"}, shared[0], shared[1], l.putLayer(256<<10, rnd))
		img.Platform = nil
		l.tag(name, img)
	}
	wantOne, wantTwo := l.content("one"), l.content("two")
	require.NotEqual(t, wantOne.top.Digest, wantTwo.top.Digest)
	for _, ly := range shared {
		require.Contains(t, wantOne.blobs, ly.Digest)
		require.Contains(t, wantTwo.blobs, ly.Digest)
	}
	t.Logf("two images sharing %s of layers", fmtSize(shared[0].Size+shared[1].Size))
	heads := map[string][]byte{}
	for _, ly := range shared {
		heads[ly.Digest] = readHead(t, l.blobPath(ly.Digest))
	}

	tests := []struct {
		name    string
		repoOne string
		repoTwo string
		tagOne  string
		tagTwo  string
	}{
		{name: "SameRepository", repoOne: "conc/same", repoTwo: "conc/same", tagOne: "one", tagTwo: "two"},
		{name: "TwoRepositories", repoOne: "conc/one", repoTwo: "conc/two", tagOne: "v1", tagTwo: "v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			sk := newSkopeo(t, s)
			out, err := sk.login(writeUser, s.password)
			require.NoError(t, err, out)

			// watch for the two pushes uploading one shared layer at the
			// same time, for the log: what happens depends on timing, what
			// is checked below does not
			stop := make(chan struct{})
			var watcher sync.WaitGroup
			raced := map[string]bool{}
			watcher.Add(1)
			go func() {
				defer watcher.Done()
				for {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
					for d, n := range s.sessionsByLayer(heads) {
						if n > 1 {
							raced[d] = true
						}
					}
				}
			}()
			one := sk.startPush(t, "oci:"+l.dir+":one", s.ref(tc.repoOne, tc.tagOne))
			two := sk.startPush(t, "oci:"+l.dir+":two", s.ref(tc.repoTwo, tc.tagTwo))
			errOne, errTwo := one.wait(), two.wait()
			close(stop)
			watcher.Wait()
			require.NoError(t, errOne, "%s", one.out)
			require.NoError(t, errTwo, "%s", two.out)
			t.Logf("shared layers uploaded by both pushes at once: %d of %d", len(raced), len(shared))

			requireSameContent(t, wantOne, s.registryContent(tc.repoOne, tc.tagOne))
			requireSameContent(t, wantTwo, s.registryContent(tc.repoTwo, tc.tagTwo))
			s.requireBlobsServed(tc.repoOne, wantOne)
			s.requireBlobsServed(tc.repoTwo, wantTwo)
			n := s.requireStoredBlobsIntact()
			// each shared layer is stored once: 2 manifests, 2 configs, 2 small layers, 2 shared
			require.Equal(t, 8, n)
		})
	}
}

// layerWithPrefix finds the layer of l whose content starts with data.
func layerWithPrefix(t *testing.T, l *layout, layers []layer, data []byte) (layer, bool) {
	t.Helper()
	for _, ly := range layers {
		if int64(len(data)) > ly.Size {
			continue
		}
		f, err := os.Open(l.blobPath(ly.Digest))
		require.NoError(t, err)
		prefix := make([]byte, len(data))
		_, err = io.ReadFull(f, prefix)
		f.Close()
		require.NoError(t, err)
		if bytes.Equal(prefix, data) {
			return ly, true
		}
	}
	return layer{}, false
}

// uploadRange is the Range header of a session holding n bytes.
func uploadRange(n int) string { return fmt.Sprintf("0-%d", max(n-1, 0)) }

// headSize is how much of a layer tells it from the others: the gzip
// header and the tar header with its random file name.
const headSize = 1024

func readHead(t *testing.T, path string) []byte {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, headSize)
	n, _ := io.ReadFull(f, b)
	return b[:n]
}

// sessionsByLayer counts the upload sessions receiving each layer of
// heads (by the first bytes of their data).
func (s *server) sessionsByLayer(heads map[string][]byte) map[string]int {
	out := map[string]int{}
	entries, _ := os.ReadDir(filepath.Join(s.storage, "uploads"))
	for _, e := range entries {
		f, err := os.Open(filepath.Join(s.storage, "uploads", e.Name(), "data"))
		if err != nil {
			continue
		}
		b := make([]byte, headSize)
		n, _ := io.ReadFull(f, b)
		f.Close()
		for d, h := range heads {
			if n == len(h) && bytes.Equal(b[:n], h) {
				out[d]++
			}
		}
	}
	return out
}
