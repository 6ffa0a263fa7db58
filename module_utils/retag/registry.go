package retag

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Registry actions a request needs (token scopes).
const (
	actPull   = "pull"
	actPush   = "pull,push"
	actDelete = "pull,push,delete"
)

const (
	maxManifestSize = 4 << 20 // what registries must accept, and plenty
	maxConfigSize   = 8 << 20
	maxPages        = 10000
)

// manifestTypes are the manifests a retag moves, in the Accept header's
// order of preference (the four Docker Hub serves, pitfall 14).
var manifestTypes = []types.MediaType{
	types.OCIImageIndex,
	types.DockerManifestList,
	types.OCIManifestSchema1,
	types.DockerManifestSchema2,
}

func acceptHeader() string {
	s := make([]string, len(manifestTypes))
	for i, t := range manifestTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// registry speaks the distribution API to one repository.
type registry struct {
	repo name.Repository
	base http.RoundTripper
	o    options

	mu      sync.Mutex
	clients map[string]*http.Client // by actions
	// What the registry was found to support, for removals.
	tagDelete    support
	digestDelete support
	emptyBlob    bool
}

type support int

const (
	untried support = iota
	supported
	unsupported
)

// manifest is a manifest as the registry serves it.
type manifest struct {
	mediaType string
	digest    string
	body      []byte
}

// client is an HTTP client authenticated for actions, made on first use.
func (r *registry) client(ctx context.Context, actions string) (*http.Client, error) {
	if r.o.dryRun {
		actions = actPull
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[actions]; ok {
		return c, nil
	}
	// A Bearer token from the registry's token service, or Basic auth,
	// whichever the registry asks for.
	rt, err := transport.NewWithContext(ctx, r.repo.Registry, r.o.endpoint.Authenticator(), r.base, []string{r.repo.Scope(actions)})
	if err != nil {
		return nil, fmt.Errorf("authenticating to %s for %s on %s: %w", r.repo.RegistryStr(), actions, r.repo.RepositoryStr(), err)
	}
	if r.clients == nil {
		r.clients = map[string]*http.Client{}
	}
	c := &http.Client{Transport: rt}
	r.clients[actions] = c
	return c, nil
}

func (r *registry) url(kind, ref string) string {
	return fmt.Sprintf("%s://%s/v2/%s/%s/%s", r.repo.Scheme(), r.repo.RegistryStr(), r.repo.RepositoryStr(), kind, ref)
}

// do sends one request and reads at most limit bytes of a successful
// answer. An answer not in want is a *transport.Error, wrapping
// ErrNotFound for 404.
func (r *registry) do(ctx context.Context, actions string, req *http.Request, limit int64, want ...int) (*http.Response, []byte, error) {
	c, err := r.client(ctx, actions)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, want...); err != nil {
		if resp.StatusCode == http.StatusNotFound {
			return resp, nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return resp, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return resp, nil, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Redacted(), err)
	}
	if int64(len(body)) > limit {
		return resp, nil, fmt.Errorf("%s %s: answer larger than %d bytes", req.Method, req.URL.Redacted(), limit)
	}
	return resp, body, nil
}

// getManifest fetches the manifest of a tag or digest.
func (r *registry) getManifest(ctx context.Context, ref string) (*manifest, error) {
	req, err := http.NewRequest(http.MethodGet, r.url("manifests", ref), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", acceptHeader())
	resp, body, err := r.do(ctx, actPull, req, maxManifestSize, http.StatusOK)
	if err != nil {
		return nil, err
	}
	m := &manifest{mediaType: mediaType(resp.Header.Get("Content-Type"), body), digest: digestOf(body), body: body}
	if isDigest(ref) && m.digest != ref {
		return nil, fmt.Errorf("GET %s: content has digest %s", req.URL.Redacted(), m.digest)
	}
	return m, nil
}

// headManifest is the digest a tag or digest resolves to, and whether it
// exists. It falls back to GET for registries whose HEAD answers carry no
// Docker-Content-Digest.
func (r *registry) headManifest(ctx context.Context, ref string) (string, bool, error) {
	req, err := http.NewRequest(http.MethodHead, r.url("manifests", ref), nil)
	if err != nil {
		return "", false, err
	}
	req.Header.Set("Accept", acceptHeader())
	resp, _, err := r.do(ctx, actPull, req, 0, http.StatusOK)
	switch {
	case errors.Is(err, ErrNotFound):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	if d := resp.Header.Get("Docker-Content-Digest"); strings.HasPrefix(d, "sha256:") {
		return d, true, nil
	}
	m, err := r.getManifest(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return m.digest, true, nil
}

// putManifest stores body under ref (a tag or its digest) and returns the
// digest the registry reports.
func (r *registry) putManifest(ctx context.Context, ref, mediaType string, body []byte) (string, error) {
	req, err := http.NewRequest(http.MethodPut, r.url("manifests", ref), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mediaType)
	resp, _, err := r.do(ctx, actPush, req, 64<<10, http.StatusCreated, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return "", fmt.Errorf("storing manifest %s as %s: %w", digestOf(body), ref, err)
	}
	if d := resp.Header.Get("Docker-Content-Digest"); d != "" {
		return d, nil
	}
	return digestOf(body), nil
}

// deleteManifest deletes a tag or a manifest by digest.
func (r *registry) deleteManifest(ctx context.Context, ref string) error {
	req, err := http.NewRequest(http.MethodDelete, r.url("manifests", ref), nil)
	if err != nil {
		return err
	}
	_, _, err = r.do(ctx, actDelete, req, 64<<10, http.StatusAccepted, http.StatusOK, http.StatusNoContent)
	return err
}

// getBlob fetches a small blob (a config).
func (r *registry) getBlob(ctx context.Context, digest string, limit int64) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, r.url("blobs", digest), nil)
	if err != nil {
		return nil, err
	}
	_, body, err := r.do(ctx, actPull, req, limit, http.StatusOK)
	if err != nil {
		return nil, err
	}
	if got := digestOf(body); got != digest {
		return nil, fmt.Errorf("blob %s: content has digest %s", digest, got)
	}
	return body, nil
}

// ensureBlob uploads a small blob unless the repository has it.
func (r *registry) ensureBlob(ctx context.Context, digest string, content []byte) error {
	req, err := http.NewRequest(http.MethodHead, r.url("blobs", digest), nil)
	if err != nil {
		return err
	}
	_, _, err = r.do(ctx, actPull, req, 0, http.StatusOK)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("checking blob %s: %w", digest, err)
	}
	req, err = http.NewRequest(http.MethodPost, r.url("blobs", "uploads/"), nil)
	if err != nil {
		return err
	}
	resp, _, err := r.do(ctx, actPush, req, 64<<10, http.StatusAccepted)
	if err != nil {
		return fmt.Errorf("starting the upload of blob %s: %w", digest, err)
	}
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return fmt.Errorf("starting the upload of blob %s: no usable Location in the answer", digest)
	}
	q := loc.Query()
	q.Set("digest", digest)
	loc.RawQuery = q.Encode()
	req, err = http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(content))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if _, _, err := r.do(ctx, actPush, req, 64<<10, http.StatusCreated, http.StatusAccepted, http.StatusNoContent); err != nil {
		return fmt.Errorf("uploading blob %s: %w", digest, err)
	}
	return nil
}

// listTags pages through tags/list: n per page, following the Link
// header each answer gives while more remain.
func (r *registry) listTags(ctx context.Context, pageSize int) ([]string, error) {
	next := r.url("tags", "list") + "?n=" + strconv.Itoa(pageSize)
	var all []string
	for page := 0; page < maxPages; page++ {
		req, err := http.NewRequest(http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		resp, body, err := r.do(ctx, actPull, req, maxManifestSize, http.StatusOK)
		if errors.Is(err, ErrNotFound) && page == 0 {
			return nil, nil // no such repository: no tags
		}
		if err != nil {
			return nil, fmt.Errorf("listing the tags of %s: %w", r.repo.Name(), err)
		}
		var list struct {
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, fmt.Errorf("listing the tags of %s: %s: %w", r.repo.Name(), req.URL.Redacted(), err)
		}
		all = append(all, list.Tags...)
		link, err := nextLink(resp)
		if err != nil {
			return nil, fmt.Errorf("listing the tags of %s: %w", r.repo.Name(), err)
		}
		if link == "" || len(list.Tags) == 0 {
			return unique(all), nil
		}
		next = link
	}
	return nil, fmt.Errorf("listing the tags of %s: more than %d pages", r.repo.Name(), maxPages)
}

// nextLink is the rel="next" target of the Link header, resolved against
// the request, which must stay on the same host (the request carries
// credentials).
func nextLink(resp *http.Response) (string, error) {
	for _, v := range resp.Header.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			end := strings.Index(part, ">")
			if !strings.HasPrefix(part, "<") || end < 0 || !strings.Contains(part[end:], `rel="next"`) && !strings.Contains(part[end:], "rel=next") {
				continue
			}
			u, err := resp.Request.URL.Parse(part[1:end])
			if err != nil {
				return "", fmt.Errorf("link %q: %w", part, err)
			}
			if err := sameOrigin(resp.Request.URL, u); err != nil {
				return "", err
			}
			return u.String(), nil
		}
	}
	return "", nil
}

func sameOrigin(from, to *url.URL) error {
	if from.Host != to.Host || (from.Scheme != to.Scheme && to.Scheme != "https") {
		return fmt.Errorf("next page %s is not on %s://%s", to.Redacted(), from.Scheme, from.Host)
	}
	return nil
}

// mediaType is the Content-Type without parameters or, when the registry
// sent none, the manifest's own mediaType field.
func mediaType(contentType string, body []byte) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt != "" && mt != "application/json" && mt != "text/plain" {
		return mt
	}
	var doc struct {
		MediaType string `json:"mediaType"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.MediaType != "" {
		return doc.MediaType
	}
	return contentType
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func isDigest(ref string) bool { return strings.Contains(ref, ":") }
