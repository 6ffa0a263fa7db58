package registry

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gating/containers/module_utils/registry/storage"
)

// Defaults of the options.
const (
	DefaultUploadTTL       = time.Hour
	DefaultMaxManifestSize = 4 << 20 // the spec asks registries to accept at least 4 MiB
)

// Option configures a Registry; New applies and validates them once.
type Option func(*options) error

type options struct {
	dir         string
	store       *storage.Store
	authorizer  Authorizer
	log         *slog.Logger
	uploadTTL   time.Duration
	sweepEvery  time.Duration
	maxManifest int64
}

// WithDirectory keeps the registry's content in dir (created if missing).
// Exactly one of WithDirectory and WithStorage is required.
func WithDirectory(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("WithDirectory: empty directory")
		}
		o.dir = dir
		return nil
	}
}

// WithStorage serves an already opened store.
func WithStorage(s *storage.Store) Option {
	return func(o *options) error {
		if s == nil {
			return errors.New("WithStorage: nil store")
		}
		o.store = s
		return nil
	}
}

// WithAuthorizer decides every request (default AllowAll).
func WithAuthorizer(a Authorizer) Option {
	return func(o *options) error {
		if a == nil {
			return errors.New("WithAuthorizer: nil authorizer")
		}
		o.authorizer = a
		return nil
	}
}

// WithLogger receives the registry's diagnostics (default: none).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.log = l
		return nil
	}
}

// WithUploadTTL sets how long an upload session may stay idle before the
// background sweeper removes it (default one hour).
func WithUploadTTL(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithUploadTTL: %v is not positive", d)
		}
		o.uploadTTL = d
		return nil
	}
}

// WithMaxManifestSize bounds the manifests accepted (default 4 MiB).
func WithMaxManifestSize(n int64) Option {
	return func(o *options) error {
		if n < 1024 {
			return fmt.Errorf("WithMaxManifestSize: %d bytes is too small", n)
		}
		o.maxManifest = n
		return nil
	}
}

// build applies opts over the defaults and checks that they fit together.
func build(opts []Option) (*options, error) {
	o := &options{
		authorizer:  AllowAll{},
		log:         slog.New(slog.DiscardHandler),
		uploadTTL:   DefaultUploadTTL,
		maxManifest: DefaultMaxManifestSize,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	switch {
	case o.dir == "" && o.store == nil:
		return nil, errors.New("one of WithDirectory and WithStorage is required")
	case o.dir != "" && o.store != nil:
		return nil, errors.New("WithDirectory and WithStorage exclude each other")
	}
	// sweep four times per TTL, but at least every five minutes
	o.sweepEvery = min(max(o.uploadTTL/4, 10*time.Millisecond), 5*time.Minute)
	return o, nil
}
