package auth

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// maxFormSize bounds a POSTed token request.
const maxFormSize = 64 << 10

// tokenRequest is a token request, from the query (GET) or the OAuth2
// password grant form (POST, what containerd sends when it has
// credentials).
type tokenRequest struct {
	service  string
	scopes   []access
	hasCreds bool
	name     string
	password string
}

// tokenResponse is the token endpoint's answer: "token" for docker,
// "access_token" for OAuth2 clients.
type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// httpError is a refusal of the token endpoint. basic asks the client for
// Basic credentials.
type httpError struct {
	status  int
	code    string
	message string
	basic   bool
}

func (e *httpError) Error() string { return e.message }

// ServeHTTP is the token endpoint, mounted at TokenPath:
//
//	GET /auth/token?service=...&scope=repository:<name>:pull,push&account=...
//	POST /auth/token  grant_type=password&username=...&password=...&scope=...
//
// Pull scopes (and registry:catalog:*) are granted to anyone, even with
// wrong credentials. A push or delete scope, or no scope at all (docker
// login), needs the credentials of a user, with write access for a
// login; without them the answer is 401 with a Basic challenge. Granted
// actions are those the user may do. The account parameter is ignored:
// the token is for whoever authenticated.
func (a *Authority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, err := a.serveToken(w, r)
	if err != nil {
		a.writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(resp)
}

func (a *Authority) serveToken(w http.ResponseWriter, r *http.Request) (*tokenResponse, error) {
	var (
		req tokenRequest
		err error
	)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		req, err = queryRequest(r)
	case http.MethodPost:
		req, err = formRequest(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		return nil, &httpError{status: http.StatusMethodNotAllowed, code: "UNSUPPORTED", message: "method " + r.Method + " not allowed"}
	}
	if err != nil {
		return nil, err
	}
	return a.issue(req)
}

func queryRequest(r *http.Request) (tokenRequest, error) {
	q := r.URL.Query()
	scopes, err := parseScopes(q["scope"])
	if err != nil {
		return tokenRequest{}, &httpError{status: http.StatusBadRequest, code: "INVALID_REQUEST", message: err.Error()}
	}
	req := tokenRequest{service: q.Get("service"), scopes: scopes}
	req.name, req.password, req.hasCreds = r.BasicAuth()
	return req, nil
}

func formRequest(w http.ResponseWriter, r *http.Request) (tokenRequest, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		// err may quote a piece of the body, which holds the password.
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		return tokenRequest{}, &httpError{status: status, code: "INVALID_REQUEST", message: "token request form: malformed or too large"}
	}
	f := r.PostForm
	if gt := f.Get("grant_type"); gt != "password" {
		// No refresh tokens are issued; containerd falls back to GET
		// on this 400.
		return tokenRequest{}, &httpError{status: http.StatusBadRequest, code: "UNSUPPORTED", message: fmt.Sprintf("grant_type %q not supported, want \"password\"", gt)}
	}
	scopes, err := parseScopes(f["scope"])
	if err != nil {
		return tokenRequest{}, &httpError{status: http.StatusBadRequest, code: "INVALID_REQUEST", message: err.Error()}
	}
	return tokenRequest{
		service:  f.Get("service"),
		scopes:   scopes,
		hasCreds: f.Has("username"),
		name:     f.Get("username"),
		password: f.Get("password"),
	}, nil
}

// issue applies the policy to req and signs the token.
func (a *Authority) issue(req tokenRequest) (*tokenResponse, error) {
	if req.service != "" && req.service != a.service {
		return nil, &httpError{status: http.StatusBadRequest, code: "INVALID_REQUEST",
			message: fmt.Sprintf("service %q: this is %q", req.service, a.service)}
	}
	l, subject, badCreds := anonymous, "", false
	if req.hasCreds {
		if acct, ok := a.accounts.check(req.name, req.password); ok {
			l, subject = levelOf(acct.access), acct.name
		} else {
			badCreds = true
		}
	}
	refuse := func(why string) error {
		if badCreds {
			why = "invalid username or password"
		}
		return &httpError{status: http.StatusUnauthorized, code: "UNAUTHORIZED", message: why, basic: true}
	}
	if len(req.scopes) == 0 && l != writer {
		return nil, refuse("login needs a user with write access")
	}
	if l == anonymous {
		// Credentials would make a difference: ask for them. Actions
		// nobody may do are just not granted.
		for _, s := range req.scopes {
			if needsCredentials(s) {
				return nil, refuse(fmt.Sprintf("%s needs credentials", s))
			}
		}
	}
	now := a.now()
	c := claims{
		Issuer:    issuer,
		Subject:   subject,
		Audience:  a.service,
		ExpiresAt: now.Add(a.ttl).Unix(),
		NotBefore: now.Unix(),
		IssuedAt:  now.Unix(),
		ID:        rand.Text(),
		Access:    grant(l, req.scopes),
	}
	token, err := sign(a.secret, c)
	if err != nil {
		return nil, err
	}
	return &tokenResponse{
		Token:       token,
		AccessToken: token,
		ExpiresIn:   int64(a.ttl / time.Second),
		IssuedAt:    now.UTC().Format(time.RFC3339),
	}, nil
}

// writeError writes err as a registry-style JSON error.
func (a *Authority) writeError(w http.ResponseWriter, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{status: http.StatusInternalServerError, code: "UNKNOWN", message: err.Error()}
	}
	if he.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+a.service+`"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(he.status)
	body := map[string]any{"errors": []map[string]string{{"code": he.code, "message": he.message}}}
	_ = json.NewEncoder(w).Encode(body)
}
