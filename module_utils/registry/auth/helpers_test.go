package auth

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The test users. The write password holds ':' as generated passwords may.
const (
	writeName = "zuul"
	writePass = "s3:cr:et-.,_pw"
	readName  = "viewer"
	readPass  = "read:only"
)

var testUsers = []User{
	{Name: writeName, Password: writePass, Access: AccessWrite},
	{Name: readName, Password: readPass, Access: AccessRead},
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)} }

func newAuthority(t *testing.T, c *clock, opts ...Option) *Authority {
	t.Helper()
	a, err := New(append([]Option{WithUsers(testUsers...), withClock(c.now)}, opts...)...)
	require.NoError(t, err)
	return a
}

func basic(name, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+password))
}

// tokenCall performs a GET on the token endpoint.
func tokenCall(t *testing.T, a *Authority, query url.Values, authorization string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "https://127.0.0.1:5000"+TokenPath+"?"+query.Encode(), nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	return w
}

// issueToken gets a token for scopes with the given Authorization header.
func issueToken(t *testing.T, a *Authority, authorization string, scopes ...string) string {
	t.Helper()
	w := tokenCall(t, a, url.Values{"scope": scopes, "service": {a.service}}, authorization)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var resp tokenResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	return resp.Token
}

// registryRequest is a /v2/ request as a client reaching host would send it.
func registryRequest(host, authorization string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://"+host+"/v2/", nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	return r
}

// forge signs arbitrary header and claims JSON with secret.
func forge(secret []byte, headerJSON string, c claims) string {
	payload, _ := json.Marshal(c)
	signed := b64.EncodeToString([]byte(headerJSON)) + "." + b64.EncodeToString(payload)
	return signed + "." + b64.EncodeToString(mac(secret, signed))
}

func requireNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, pw := range []string{writePass, readPass, "wrong:pass"} {
		require.False(t, strings.Contains(s, pw), "password %q leaked into %q", pw, s)
	}
}
