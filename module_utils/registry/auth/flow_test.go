package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gating/containers/module_utils/registry"
	"github.com/stretchr/testify/require"
)

// miniRegistry stands in for the registry: /v2/ is the ping, /v2/push
// needs push on a/b, /v2/pull needs pull on a/b.
func miniRegistry(a registry.Authorizer) http.Handler {
	scopes := map[string]registry.Scope{
		"/v2/":     {},
		"/v2/push": {Repository: "a/b", Actions: []string{registry.ActionPull, registry.ActionPush}},
		"/v2/pull": {Repository: "a/b", Actions: []string{registry.ActionPull}},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.Authorize(r, scopes[r.URL.Path]); err != nil {
			ae := err.(*registry.AuthError)
			if ae.Challenge != "" {
				w.Header().Set("WWW-Authenticate", ae.Challenge)
			}
			http.Error(w, ae.Message, ae.Status)
			return
		}
		_, _ = w.Write([]byte("{}"))
	})
}

var challengeParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// The docker client's dance against a TLS server: ping, read the
// challenge, fetch a token from the realm it names, retry with it.
func TestTokenFlowOverTLS(t *testing.T) {
	a := newAuthority(t, newClock())
	mux := http.NewServeMux()
	mux.Handle(TokenPath, a)
	mux.Handle("/v2/", miniRegistry(a))
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	client := srv.Client()

	for _, tc := range []struct {
		path string
		user string
		pass string
		want int
	}{
		{"/v2/", writeName, writePass, http.StatusOK},
		{"/v2/pull", "", "", http.StatusOK},
		{"/v2/pull", writeName, "wrong:pass", http.StatusOK},
		{"/v2/push", writeName, writePass, http.StatusOK},
		{"/v2/push", writeName, "wrong:pass", http.StatusUnauthorized},
		{"/v2/push", "", "", http.StatusUnauthorized},
	} {
		t.Run(tc.path+" "+tc.user+" "+tc.pass, func(t *testing.T) {
			// Anonymous pulls need no token at all; ask with Bearer anyway,
			// as docker does after a ping.
			resp, err := client.Get(srv.URL + "/v2/")
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			params := map[string]string{}
			for _, m := range challengeParam.FindAllStringSubmatch(resp.Header.Get("WWW-Authenticate"), -1) {
				params[m[1]] = m[2]
			}
			require.Equal(t, srv.URL+TokenPath, params["realm"])

			q := url.Values{"service": {params["service"]}}
			if tc.path != "/v2/" {
				q.Set("scope", "repository:a/b:"+strings.TrimPrefix(tc.path, "/v2/")+",pull")
				if tc.path == "/v2/pull" {
					q.Set("scope", "repository:a/b:pull")
				}
			}
			req, err := http.NewRequest(http.MethodGet, params["realm"]+"?"+q.Encode(), nil)
			require.NoError(t, err)
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			resp, err = client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.want, resp.StatusCode)
			if tc.want != http.StatusOK {
				require.Equal(t, `Basic realm="buildset-registry"`, resp.Header.Get("WWW-Authenticate"))
				return
			}
			var tr tokenResponse
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&tr))

			req, err = http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tr.Token)
			resp2, err := client.Do(req)
			require.NoError(t, err)
			resp2.Body.Close()
			require.Equal(t, http.StatusOK, resp2.StatusCode)
		})
	}
}
