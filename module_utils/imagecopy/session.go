package imagecopy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// endpoint is an Endpoint prepared once: its transport and credentials.
type endpoint struct {
	Endpoint
	base http.RoundTripper
}

func prepare(e Endpoint, o *options) (*endpoint, error) {
	t, err := e.Transport(o.jobs)
	if err != nil {
		return nil, err
	}
	return &endpoint{Endpoint: e, base: transport.NewUserAgent(t, o.userAgent)}, nil
}

// session is one repository of a registry, authenticated for some
// actions.
type session struct {
	repo   name.Repository
	client *http.Client
	retry  *retrier
}

// open pings the registry and authenticates for scopes, retrying what is
// worth retrying.
func (e *endpoint) open(ctx context.Context, repo name.Repository, scopes []string, r *retrier) (*session, error) {
	var rt http.RoundTripper
	err := r.do(ctx, repo.RegistryStr(), func(ctx context.Context) error {
		var err error
		rt, err = transport.NewWithContext(ctx, repo.Registry, e.Authenticator(), e.base, scopes)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &session{repo: repo, client: &http.Client{Transport: rt}, retry: r}, nil
}

// url is the address of path (below /v2/<repository>/) in the session's
// repository. The scheme is settled by the transport after its ping.
func (s *session) url(path string, query url.Values) string {
	u := url.URL{
		Scheme:   "https",
		Host:     s.repo.RegistryStr(),
		Path:     fmt.Sprintf("/v2/%s/%s", s.repo.RepositoryStr(), path),
		RawQuery: query.Encode(),
	}
	return u.String()
}

// send sends req and returns the response if its status is one of ok;
// any other answer becomes a *StatusError (its body read and closed).
func (s *session) send(req *http.Request, ok ...int) (*http.Response, error) {
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	for _, code := range ok {
		if resp.StatusCode == code {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, newStatusError(resp, body)
}

// discard reads what is left of a body, so the connection is reused, and
// closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}
