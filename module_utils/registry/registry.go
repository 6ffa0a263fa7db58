// Package registry serves the OCI distribution API (spec 1.1, with the
// Docker registry v2 headers older clients rely on) from filesystem
// storage: the buildset registry of container image gating. A Registry is a
// plain http.Handler; TLS, listening and the token endpoint belong to the
// program that serves it.
package registry

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gating/containers/module_utils/registry/reference"
	"github.com/gating/containers/module_utils/registry/storage"
)

// Registry is the HTTP handler of the distribution API.
type Registry struct {
	store       *storage.Store
	auth        Authorizer
	log         *slog.Logger
	uploadTTL   time.Duration
	maxManifest int64

	stop      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
}

// New returns a Registry configured by opts, and starts the sweeper that
// removes abandoned uploads; Close stops it.
func New(opts ...Option) (*Registry, error) {
	o, err := build(opts)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	store := o.store
	if store == nil {
		if store, err = storage.Open(o.dir); err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
	}
	r := &Registry{
		store:       store,
		auth:        o.authorizer,
		log:         o.log,
		uploadTTL:   o.uploadTTL,
		maxManifest: o.maxManifest,
		stop:        make(chan struct{}),
		stopped:     make(chan struct{}),
	}
	go r.sweep(o.sweepEvery)
	return r, nil
}

// Close stops the background work. Requests in flight are not affected;
// shut the http.Server down first.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		close(r.stop)
		<-r.stopped
	})
	return nil
}

// sweep removes upload sessions idle for longer than the TTL, every
// interval, until Close.
func (r *Registry) sweep(interval time.Duration) {
	defer close(r.stopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			n, err := r.store.SweepUploads(r.uploadTTL)
			if err != nil {
				r.log.Error("sweeping uploads", "error", err)
			}
			if n > 0 {
				r.log.Info("removed abandoned uploads", "count", n)
			}
		}
	}
}

// ServeHTTP answers one request of the API; every response carries the
// Docker-Distribution-API-Version header, every error the spec's JSON body.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if err := r.serve(w, req); err != nil {
		r.writeError(w, req, err)
	}
}

// serve routes, validates and authorizes a request, then runs its handler.
func (r *Registry) serve(w http.ResponseWriter, req *http.Request) error {
	rt, ok := parseRoute(req.URL.Path)
	if !ok {
		return newError(http.StatusNotFound, codeUnsupported, "no such endpoint", req.URL.Path)
	}
	if rt.kind != routePing && rt.kind != routeCatalog {
		if err := reference.ValidateName(rt.name); err != nil {
			return err
		}
	}
	allowed := methods[rt.kind]
	if !slices.Contains(allowed, req.Method) {
		e := newError(http.StatusMethodNotAllowed, codeUnsupported, "method not allowed", req.Method)
		e.Header = map[string]string{"Allow": strings.Join(allowed, ", ")}
		return e
	}
	if err := r.auth.Authorize(req, scopeOf(rt, req.Method)); err != nil {
		return err
	}
	switch rt.kind {
	case routePing:
		return r.ping(w, req)
	case routeCatalog:
		return r.catalog(w, req)
	case routeBlob:
		return r.blob(w, req, rt.name, rt.ref)
	case routeUploadStart:
		return r.startUpload(w, req, rt.name)
	case routeUpload:
		return r.upload(w, req, rt.name, rt.ref)
	case routeManifest:
		return r.manifest(w, req, rt.name, rt.ref)
	case routeTags:
		return r.tags(w, req, rt.name)
	case routeReferrers:
		return r.referrers(w, req, rt.name, rt.ref)
	}
	return fmt.Errorf("route %d has no handler", rt.kind)
}

// scopeOf is what a request needs from the Authorizer: the registry itself
// for the ping (no action) and the catalog (pull); on a repository, pull to
// read, push to write (upload sessions, status and cancel included) and
// delete to delete. A mount's source is authorized separately.
func scopeOf(rt route, method string) Scope {
	switch rt.kind {
	case routePing:
		return Scope{}
	case routeCatalog:
		return Scope{Actions: []string{ActionPull}}
	case routeUploadStart, routeUpload:
		return Scope{Repository: rt.name, Actions: []string{ActionPush}}
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		return Scope{Repository: rt.name, Actions: []string{ActionPull}}
	case http.MethodDelete:
		return Scope{Repository: rt.name, Actions: []string{ActionDelete}}
	}
	return Scope{Repository: rt.name, Actions: []string{ActionPush}}
}

// ping answers the version check every client starts with.
func (r *Registry) ping(w http.ResponseWriter, req *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "2")
	if req.Method != http.MethodHead {
		_, _ = w.Write([]byte("{}"))
	}
	return nil
}
