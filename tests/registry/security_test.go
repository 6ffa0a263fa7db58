//go:build e2e

package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gating/containers/module_utils/registry/auth"
	"github.com/stretchr/testify/require"
)

// smallImage writes a one-platform image of two small random layers into
// a new layout under dir and names it tag.
func smallImage(t *testing.T, dir, tag string) (*layout, content) {
	t.Helper()
	l := newLayout(t, dir)
	rnd := newRand()
	img := l.putImage(platform{Architecture: "amd64", OS: "linux"}, l.putLayer(300<<10, rnd), l.putLayer(70<<10, rnd))
	img.Platform = nil
	l.tag(tag, img)
	return l, l.content(tag)
}

// uploadPath is where a blob upload into repo starts.
func uploadPath(repo string) string { return "/v2/" + repo + "/blobs/uploads/" }

func TestSecurity(t *testing.T) {
	s := newServer(t)
	sk := newSkopeo(t, s)
	srcDir := filepath.Join(t.TempDir(), "image")
	srcLayout, srcContent := smallImage(t, srcDir, "v1")

	// The fixture: an image pushed by the write user.
	logged := newSkopeo(t, s)
	out, err := logged.login(writeUser, s.password)
	require.NoError(t, err, out)
	out, err = logged.copy("oci:"+srcLayout.dir+":v1", s.ref("sec/present", "v1"))
	require.NoError(t, err, out)

	t.Run("AnonymousPushWithSkopeoRefused", func(t *testing.T) {
		out, err := sk.copy("oci:"+srcDir+":v1", s.ref("sec/anonymous", "v1"), "--dest-no-creds")
		require.Error(t, err, "an anonymous push succeeded:\n%s", out)
		t.Logf("skopeo said: %s", lastLine(out))
		_, err = sk.inspectRaw(s.ref("sec/anonymous", "v1"), "--no-creds")
		require.Error(t, err, "the refused image is there")
		r := s.do(http.MethodGet, "/v2/sec/anonymous/manifests/v1", "", nil, "Accept", acceptAll)
		require.Equal(t, http.StatusNotFound, r.status)
		// refused before anything was written
		require.Empty(t, storageFiles(t, filepath.Join(s.storage, "uploads")), "upload sessions were opened")
		require.NoDirExists(t, filepath.Join(s.storage, "repositories", "sec", "anonymous"))
	})

	t.Run("WritesNeedCredentials", func(t *testing.T) {
		blob := []byte("not welcome")
		d := sha256Digest(blob)
		present := srcContent.top.Digest
		anyLayer := ""
		for b := range srcContent.blobs {
			anyLayer = b
		}
		tests := []struct {
			name, method, path string
			body               []byte
			scope              string
		}{
			{"start upload", http.MethodPost, uploadPath("sec/raw"), nil, "repository:sec/raw:push"},
			{"monolithic upload", http.MethodPost, uploadPath("sec/raw") + "?digest=" + d, blob, "repository:sec/raw:push"},
			{"mount", http.MethodPost, uploadPath("sec/raw") + "?mount=" + anyLayer + "&from=sec/present", nil, "repository:sec/raw:push"},
			{"put manifest", http.MethodPut, "/v2/sec/present/manifests/evil", srcContent.manifests[present], "repository:sec/present:push"},
			{"delete manifest", http.MethodDelete, "/v2/sec/present/manifests/" + present, nil, "repository:sec/present:delete"},
			{"delete tag", http.MethodDelete, "/v2/sec/present/manifests/v1", nil, "repository:sec/present:delete"},
			{"delete blob", http.MethodDelete, "/v2/sec/present/blobs/" + anyLayer, nil, "repository:sec/present:delete"},
			{"catalog", http.MethodGet, "/v2/_catalog", nil, "registry:catalog:*"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := s.do(tc.method, tc.path, "", tc.body, "Content-Type", mtManifest)
				require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
				c := challenge(r.header.Get("WWW-Authenticate"))
				require.Equal(t, "Bearer", c["scheme"], r.header.Get("WWW-Authenticate"))
				require.Equal(t, "https://"+s.host+auth.TokenPath, c["realm"])
				require.Equal(t, auth.DefaultService, c["service"])
				if !strings.HasPrefix(tc.scope, "registry:") {
					require.Equal(t, tc.scope, c["scope"])
				}
			})
		}
		// nothing changed
		require.Equal(t, srcContent.top.Digest, s.registryContent("sec/present", "v1").top.Digest)
		require.Equal(t, http.StatusNotFound, s.do(http.MethodGet, "/v2/sec/present/manifests/evil", "", nil, "Accept", acceptAll).status)
		require.Empty(t, storageFiles(t, filepath.Join(s.storage, "uploads")), "upload sessions were opened")
	})

	t.Run("RealmIsTheHostTheClientUsed", func(t *testing.T) {
		for _, host := range []string{s.host, "localhost:" + strings.TrimPrefix(s.host, "127.0.0.1:")} {
			r := s.do(http.MethodPost, "https://"+host+uploadPath("sec/realm"), "", nil)
			require.Equal(t, http.StatusUnauthorized, r.status)
			c := challenge(r.header.Get("WWW-Authenticate"))
			require.Equal(t, "https://"+host+auth.TokenPath, c["realm"], r.header.Get("WWW-Authenticate"))
			// and the realm answers: the challenge leads to a token
			status, token := s.tokenFor(c["realm"], c["service"], writeUser, s.password, c["scope"])
			require.Equal(t, http.StatusOK, status)
			r = s.do(http.MethodPost, "https://"+host+uploadPath("sec/realm"), "Bearer "+token, nil)
			require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
			cancelUpload(t, s, r, token)
		}
	})

	t.Run("BasicCredentials", func(t *testing.T) {
		tests := []struct {
			name, user, password string
			want                 int
		}{
			{"none", "", "", http.StatusUnauthorized},
			{"wrong password", writeUser, "wrong", http.StatusUnauthorized},
			{"password cut at its first colon", writeUser, strings.SplitN(s.password, ":", 2)[0], http.StatusUnauthorized},
			{"password with a suffix", writeUser, s.password + "x", http.StatusUnauthorized},
			{"unknown user", "nobody", s.password, http.StatusUnauthorized},
			{"read user", readUser, s.readPass, http.StatusForbidden},
			{"write user", writeUser, s.password, http.StatusAccepted},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				authz := ""
				if tc.user != "" {
					authz = basic(tc.user, tc.password)
				}
				r := s.do(http.MethodPost, uploadPath("sec/basic"), authz, nil)
				require.Equal(t, tc.want, r.status, "%s", r.body)
				if tc.want == http.StatusAccepted {
					cancelUpload(t, s, r, "")
				}
			})
		}
	})

	t.Run("WrongPasswordRefused", func(t *testing.T) {
		for _, pw := range []string{"wrong", strings.SplitN(s.password, ":", 2)[0], s.readPass} {
			k := newSkopeo(t, s)
			out, err := k.login(writeUser, pw)
			require.Error(t, err, "skopeo login with a wrong password succeeded:\n%s", out)
			require.NotContains(t, readFile(t, k.envValue("REGISTRY_AUTH_FILE")), s.host, "a failed login stored credentials")
		}
		// a read user cannot log in either: login means push
		out, err := newSkopeo(t, s).login(readUser, s.readPass)
		require.Error(t, err, "a read user logged in:\n%s", out)
		// the right password, ':' and all, works
		out, err = newSkopeo(t, s).login(writeUser, s.password)
		require.NoError(t, err, out)

		push := "repository:sec/token:pull,push"
		tests := []struct {
			name, user, password string
			scopes               []string
			want                 int
		}{
			{"wrong password, push", writeUser, "wrong", []string{push}, http.StatusUnauthorized},
			{"cut password, push", writeUser, strings.SplitN(s.password, ":", 2)[0], []string{push}, http.StatusUnauthorized},
			{"no credentials, push", "", "", []string{push}, http.StatusUnauthorized},
			{"wrong password, login", writeUser, "wrong", nil, http.StatusUnauthorized},
			{"read user, login", readUser, s.readPass, nil, http.StatusUnauthorized},
			{"no credentials, pull", "", "", []string{"repository:sec/token:pull"}, http.StatusOK},
			{"write user, push", writeUser, s.password, []string{push}, http.StatusOK},
			{"write user, login", writeUser, s.password, nil, http.StatusOK},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				status, _ := s.token(tc.user, tc.password, tc.scopes...)
				require.Equal(t, tc.want, status)
			})
		}
		// a 401 of the token endpoint asks for Basic credentials
		r := s.do(http.MethodGet, auth.TokenPath+"?service="+auth.DefaultService+"&scope="+push, basic(writeUser, "wrong"), nil)
		require.Equal(t, http.StatusUnauthorized, r.status)
		require.True(t, strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic "), r.header.Get("WWW-Authenticate"))
		require.NotContains(t, string(r.body), "wrong")
	})

	t.Run("ForgedTokensRefused", func(t *testing.T) {
		const repo = "sec/forged"
		secret := s.registrySecret()
		other := []byte(strings.Repeat("k", 32))
		hs256 := map[string]string{"alg": "HS256", "typ": "JWT"}
		with := func(edit func(*tokenClaims)) tokenClaims {
			c := validClaims(repo)
			edit(&c)
			return c
		}
		_, readerToken := s.token(readUser, s.readPass, "repository:"+repo+":pull,push")
		_, anonToken := s.token("", "", "repository:"+repo+":pull")
		// the anonymous pull token with its payload swapped for a push grant
		parts := strings.Split(anonToken, ".")
		pushPayload, err := json.Marshal(validClaims(repo))
		require.NoError(t, err)
		tampered := parts[0] + "." + jwtB64.EncodeToString(pushPayload) + "." + parts[2]

		tests := []struct {
			name      string
			token     string
			want      int
			errorCode string
		}{
			{"control: signed with the registry's secret", signJWT(t, secret, hs256, validClaims(repo)), http.StatusAccepted, ""},
			{"signed with another secret", signJWT(t, other, hs256, validClaims(repo)), http.StatusUnauthorized, "invalid_token"},
			{"alg none", signJWT(t, nil, map[string]string{"alg": "none", "typ": "JWT"}, validClaims(repo)), http.StatusUnauthorized, "invalid_token"},
			{"alg None", signJWT(t, nil, map[string]string{"alg": "None"}, validClaims(repo)), http.StatusUnauthorized, "invalid_token"},
			{"alg HS512 with a HS256 signature", strings.Replace(signJWT(t, secret, hs256, validClaims(repo)), jwtB64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)), jwtB64.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`)), 1), http.StatusUnauthorized, "invalid_token"},
			{"payload swapped under a real signature", tampered, http.StatusUnauthorized, "invalid_token"},
			{"other audience", signJWT(t, secret, hs256, with(func(c *tokenClaims) { c.Audience = "other-registry" })), http.StatusUnauthorized, "invalid_token"},
			{"other issuer", signJWT(t, secret, hs256, with(func(c *tokenClaims) { c.Issuer = "evil" })), http.StatusUnauthorized, "invalid_token"},
			{"not valid yet", signJWT(t, secret, hs256, with(func(c *tokenClaims) {
				c.NotBefore = time.Now().Add(time.Hour).Unix()
				c.ExpiresAt = time.Now().Add(2 * time.Hour).Unix()
			})), http.StatusUnauthorized, "invalid_token"},
			{"for another repository", signJWT(t, secret, hs256, validClaims("sec/other")), http.StatusUnauthorized, "insufficient_scope"},
			{"pull only", signJWT(t, secret, hs256, with(func(c *tokenClaims) { c.Access[0].Actions = []string{"pull"} })), http.StatusUnauthorized, "insufficient_scope"},
			{"read user's token asking for push", readerToken, http.StatusUnauthorized, "insufficient_scope"},
			{"anonymous pull token", anonToken, http.StatusUnauthorized, "insufficient_scope"},
			{"garbage", "not-a-token", http.StatusUnauthorized, "invalid_token"},
			{"empty", "", http.StatusUnauthorized, "invalid_token"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := s.do(http.MethodPost, uploadPath(repo), "Bearer "+tc.token, nil)
				require.Equal(t, tc.want, r.status, "%s", r.body)
				if tc.want == http.StatusAccepted {
					cancelUpload(t, s, r, tc.token)
					return
				}
				c := challenge(r.header.Get("WWW-Authenticate"))
				require.Equal(t, "Bearer", c["scheme"])
				require.Equal(t, "https://"+s.host+auth.TokenPath, c["realm"])
				require.Equal(t, tc.errorCode, c["error"], r.header.Get("WWW-Authenticate"))
			})
		}
		require.NoDirExists(t, filepath.Join(s.storage, "repositories", "sec", "forged"))
	})

	t.Run("ExpiredTokenRefusedThenRenewed", func(t *testing.T) {
		const repo = "sec/expired"
		c := validClaims(repo)
		c.IssuedAt = time.Now().Add(-2 * time.Hour).Unix()
		c.NotBefore = c.IssuedAt
		c.ExpiresAt = time.Now().Add(-time.Hour).Unix()
		expired := signJWT(t, s.registrySecret(), map[string]string{"alg": "HS256", "typ": "JWT"}, c)

		// what a client holding an expired token meets
		r := s.do(http.MethodPost, uploadPath(repo), "Bearer "+expired, nil)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		ch := challenge(r.header.Get("WWW-Authenticate"))
		require.Equal(t, "Bearer", ch["scheme"])
		require.Equal(t, "invalid_token", ch["error"], r.header.Get("WWW-Authenticate"))
		require.Equal(t, "https://"+s.host+auth.TokenPath, ch["realm"])
		require.Equal(t, "repository:"+repo+":push", ch["scope"])

		// it follows the challenge for a new token and retries
		status, fresh := s.tokenFor(ch["realm"], ch["service"], writeUser, s.password, ch["scope"])
		require.Equal(t, http.StatusOK, status)
		r = s.do(http.MethodPost, uploadPath(repo), "Bearer "+fresh, nil)
		require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
		// and finishes a push with it
		blob := []byte("renewed " + randomHex(8))
		loc := r.header.Get("Location")
		r = s.do(http.MethodPut, loc+"?digest="+sha256Digest(blob), "Bearer "+fresh, blob, "Content-Type", "application/octet-stream")
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
		got, _, st := s.hashBlob(repo, sha256Digest(blob))
		require.Equal(t, http.StatusOK, st)
		require.Equal(t, sha256Digest(blob), got)
	})

	t.Run("UploadSessionOfAnotherRepository", func(t *testing.T) {
		_, tokenA := s.token(writeUser, s.password, "repository:sec/a:pull,push")
		_, tokenB := s.token(writeUser, s.password, "repository:sec/b:pull,push")
		r := s.do(http.MethodPost, uploadPath("sec/a"), "Bearer "+tokenA, nil)
		require.Equal(t, http.StatusAccepted, r.status)
		id := r.header.Get("Docker-Upload-UUID")
		require.NotEmpty(t, id)
		blob := []byte("hijack " + randomHex(8))
		// B's token cannot write into A's session through A's URL...
		r = s.do(http.MethodPatch, uploadPath("sec/a")+id, "Bearer "+tokenB, blob)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		// ...nor reach it through B's URL
		for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete} {
			path := uploadPath("sec/b") + id
			if method == http.MethodPut {
				path += "?digest=" + sha256Digest(blob)
			}
			r = s.do(method, path, "Bearer "+tokenB, blob)
			require.Equal(t, http.StatusNotFound, r.status, "%s %s: %s", method, path, r.body)
			require.Contains(t, string(r.body), "BLOB_UPLOAD_UNKNOWN")
		}
		// the session is untouched: still empty, still A's
		r = s.do(http.MethodGet, uploadPath("sec/a")+id, "Bearer "+tokenA, nil)
		require.Equal(t, http.StatusNoContent, r.status)
		require.Equal(t, "0-0", r.header.Get("Range"))
		r = s.do(http.MethodDelete, uploadPath("sec/a")+id, "Bearer "+tokenA, nil)
		require.Equal(t, http.StatusNoContent, r.status)
	})

	t.Run("ContentPoisoningRefused", func(t *testing.T) {
		const repo = "sec/poison"
		authz := basic(writeUser, s.password)
		good, evil := []byte("good "+randomHex(8)), []byte("evil "+randomHex(8))
		// a blob under another content's digest
		r := s.do(http.MethodPost, uploadPath(repo)+"?digest="+sha256Digest(good), authz, evil)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		require.Contains(t, string(r.body), "DIGEST_INVALID")
		// the same through a session, the lie told at the end
		r = s.do(http.MethodPost, uploadPath(repo), authz, nil)
		require.Equal(t, http.StatusAccepted, r.status)
		loc := r.header.Get("Location")
		r = s.do(http.MethodPatch, loc, authz, evil)
		require.Equal(t, http.StatusAccepted, r.status)
		r = s.do(http.MethodPut, loc+"?digest="+sha256Digest(good), authz, nil)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		_, _, status := s.hashBlob(repo, sha256Digest(good))
		require.Equal(t, http.StatusNotFound, status, "a blob is served under a digest it does not have")
		// the failed session is gone, not resumable
		r = s.do(http.MethodGet, loc, authz, nil)
		require.Equal(t, http.StatusNotFound, r.status)

		// a chunk that does not continue the upload
		r = s.do(http.MethodPost, uploadPath(repo), authz, nil)
		require.Equal(t, http.StatusAccepted, r.status)
		loc = r.header.Get("Location")
		r = s.do(http.MethodPatch, loc, authz, good[:4], "Content-Range", "0-3")
		require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
		r = s.do(http.MethodPatch, loc, authz, good[4:8], "Content-Range", "2-5")
		require.Equal(t, http.StatusRequestedRangeNotSatisfiable, r.status, "%s", r.body)
		require.Equal(t, "0-3", r.header.Get("Range"))
		r = s.do(http.MethodPatch, loc, authz, good[4:], "Content-Range", "4-"+strconv.Itoa(len(good)-1))
		require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
		r = s.do(http.MethodPut, loc+"?digest="+sha256Digest(good), authz, nil)
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
		got, _, status := s.hashBlob(repo, sha256Digest(good))
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, sha256Digest(good), got)

		// a manifest under another digest, and one whose blobs are not there
		m := srcContent.manifests[srcContent.top.Digest]
		other := sha256Digest(append([]byte(nil), append(m, ' ')...))
		r = s.do(http.MethodPut, "/v2/sec/present/manifests/"+other, authz, m, "Content-Type", mtManifest)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		r = s.do(http.MethodGet, "/v2/sec/present/manifests/"+other, "", nil, "Accept", acceptAll)
		require.Equal(t, http.StatusNotFound, r.status)
		r = s.do(http.MethodPut, "/v2/"+repo+"/manifests/v1", authz, m, "Content-Type", mtManifest)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		require.Contains(t, string(r.body), "MANIFEST_BLOB_UNKNOWN")
		r = s.do(http.MethodGet, "/v2/"+repo+"/manifests/v1", "", nil, "Accept", acceptAll)
		require.Equal(t, http.StatusNotFound, r.status)

		require.Equal(t, srcContent.top.Digest, s.registryContent("sec/present", "v1").top.Digest)
		s.requireStoredBlobsIntact()
	})

	t.Run("AnonymousPullOfMissingContentIs404", func(t *testing.T) {
		missing := sha256Digest([]byte("missing " + randomHex(8)))
		var layerOfPresent string
		for d := range srcContent.blobs {
			layerOfPresent = d
		}
		tests := []struct{ name, repo, path, code string }{
			{"tag of an unknown repository", "sec/nothing", "manifests/v1", "MANIFEST_UNKNOWN"},
			{"digest of an unknown repository", "sec/nothing", "manifests/" + missing, "MANIFEST_UNKNOWN"},
			{"unknown tag", "sec/present", "manifests/v2", "MANIFEST_UNKNOWN"},
			{"unknown manifest digest", "sec/present", "manifests/" + missing, "MANIFEST_UNKNOWN"},
			{"manifest of another repository", "sec/nothing", "manifests/" + srcContent.top.Digest, "MANIFEST_UNKNOWN"},
			{"unknown blob", "sec/present", "blobs/" + missing, "BLOB_UNKNOWN"},
			{"blob of an unknown repository", "sec/nothing", "blobs/" + missing, "BLOB_UNKNOWN"},
			{"blob of another repository", "sec/nothing", "blobs/" + layerOfPresent, "BLOB_UNKNOWN"},
			{"tags of an unknown repository", "sec/nothing", "tags/list", "NAME_UNKNOWN"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				path := "/v2/" + tc.repo + "/" + tc.path
				r := s.do(http.MethodGet, path, "", nil, "Accept", acceptAll)
				require.Equal(t, http.StatusNotFound, r.status, "GET %s: %s", path, r.body)
				var body struct {
					Errors []struct{ Code string } `json:"errors"`
				}
				require.NoError(t, json.Unmarshal(r.body, &body), "%s", r.body)
				require.NotEmpty(t, body.Errors)
				require.Equal(t, tc.code, body.Errors[0].Code)
				if tc.path != "tags/list" { // GET only, by the spec
					h := s.do(http.MethodHead, path, "", nil, "Accept", acceptAll)
					require.Equal(t, http.StatusNotFound, h.status, "HEAD %s", path)
				}
				// with an anonymous token, as docker and skopeo pull
				status, token := s.token("", "", "repository:"+tc.repo+":pull")
				require.Equal(t, http.StatusOK, status)
				r = s.do(http.MethodGet, path, "Bearer "+token, nil, "Accept", acceptAll)
				require.Equal(t, http.StatusNotFound, r.status, "GET %s with a pull token: %s", path, r.body)
			})
		}
		// referrers of a manifest nobody refers to: an empty index, as the
		// spec asks of a registry with the referrers API
		for _, repo := range []string{"sec/present", "sec/nothing"} {
			r := s.do(http.MethodGet, "/v2/"+repo+"/referrers/"+missing, "", nil)
			require.Contains(t, []int{http.StatusOK, http.StatusNotFound}, r.status, "referrers in %s: %s", repo, r.body)
			if repo == "sec/present" {
				require.Equal(t, http.StatusOK, r.status, "%s", r.body)
				var idx indexJSON
				require.NoError(t, json.Unmarshal(r.body, &idx))
				require.Empty(t, idx.Manifests)
			}
		}
		// skopeo reports the missing image as such
		out, err := sk.inspectRaw(s.ref("sec/nothing", "v1"), "--no-creds")
		require.Error(t, err, "%s", out)
	})

	t.Run("AnonymousPullOfExistingContent", func(t *testing.T) {
		raw, err := sk.inspectRaw(s.ref("sec/present", "v1"), "--no-creds")
		require.NoError(t, err)
		require.Equal(t, srcContent.top.Digest, sha256Digest(raw), "skopeo inspect --raw:\n%s", raw)

		dst := filepath.Join(t.TempDir(), "pulled")
		out, err := sk.copy(s.ref("sec/present", "v1"), "oci:"+dst+":v1", "--src-no-creds")
		require.NoError(t, err, out)
		pulled := openLayout(t, dst)
		got := pulled.content("v1")
		requireSameContent(t, srcContent, got)
		pulled.requireBlobsIntact(got)

		// and over raw HTTP, without any Authorization header
		requireSameContent(t, srcContent, s.registryContent("sec/present", "v1"))
		s.requireBlobsServed("sec/present", srcContent)
	})
}

// cancelUpload ends the upload session r started (token "" : Basic
// credentials of the write user), so it leaves nothing behind.
func cancelUpload(t *testing.T, s *server, r response, token string) {
	t.Helper()
	loc := r.header.Get("Location")
	require.NotEmpty(t, loc)
	authz := basic(writeUser, s.password)
	if token != "" {
		authz = "Bearer " + token
	}
	d := s.do(http.MethodDelete, loc, authz, nil)
	require.Equal(t, http.StatusNoContent, d.status, "%s", d.body)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	}
	require.NoError(t, err)
	return string(b)
}

// envValue is the value of an environment variable skopeo runs with.
func (k *skopeo) envValue(name string) string { return envOf(k.env, name) }
