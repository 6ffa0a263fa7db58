package imagecopy

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Result is what a copy did (or, in a dry run, would do).
type Result struct {
	// Digest and MediaType are those of the manifest the destination
	// names after the copy: the source's, or with WithPlatform the
	// chosen platform's image.
	Digest    string
	MediaType string
	// Previous is the digest the destination named before, "" if none.
	Previous string
	// Manifests are the digests of the manifests written to the
	// destination, children before the indexes that list them; the last
	// is Digest. Empty when nothing changed.
	Manifests []string
	// Bytes is how much blob content was uploaded (mounted and existing
	// blobs move nothing).
	Bytes int64
	// Blobs uploaded, mounted from another repository of the
	// destination registry, and found already present.
	Uploaded, Mounted, Existing int
	// Changed is false when the destination already named Digest.
	Changed bool
}

// Copier copies images with one set of options.
type Copier struct {
	o        *options
	src, dst *endpoint
	retry    *retrier
}

// New prepares a Copier; a bad or conflicting option fails here.
func New(opts ...Option) (*Copier, error) {
	o, err := build(opts)
	if err != nil {
		return nil, fmt.Errorf("imagecopy: %w", err)
	}
	src, err := prepare(o.src, o)
	if err != nil {
		return nil, fmt.Errorf("imagecopy: source: %w", err)
	}
	dst, err := prepare(o.dst, o)
	if err != nil {
		return nil, fmt.Errorf("imagecopy: destination: %w", err)
	}
	return &Copier{o: o, src: src, dst: dst, retry: &retrier{
		retries: o.retries, delay: o.retryDelay, maxDelay: o.maxDelay, sleep: o.sleep,
	}}, nil
}

// Copy copies the image src names to dst, with New's options.
func Copy(ctx context.Context, src, dst string, opts ...Option) (*Result, error) {
	c, err := New(opts...)
	if err != nil {
		return nil, err
	}
	return c.Copy(ctx, src, dst)
}

// Copy makes the reference dst name the image (or index) src names. Both
// are image references as ParseReference reads them; dst may name a tag
// or, when it is the source's digest, that digest.
func (c *Copier) Copy(ctx context.Context, src, dst string) (*Result, error) {
	res, err := c.copy(ctx, src, dst)
	if err != nil {
		return res, fmt.Errorf("copying %s to %s: %w", display(src), display(dst), err)
	}
	return res, nil
}

func (c *Copier) copy(ctx context.Context, srcName, dstName string) (*Result, error) {
	srcRef, err := ParseReference(srcName, c.src.Insecure)
	if err != nil {
		return nil, err
	}
	dstRef, err := ParseReference(dstName, c.dst.Insecure)
	if err != nil {
		return nil, err
	}
	mountFrom := ""
	if srcRef.Context().RegistryStr() == dstRef.Context().RegistryStr() &&
		srcRef.Context().RepositoryStr() != dstRef.Context().RepositoryStr() {
		mountFrom = srcRef.Context().RepositoryStr()
	}
	dstScopes := []string{dstRef.Context().Scope(transport.PushScope)}
	if c.o.dryRun {
		dstScopes = []string{dstRef.Context().Scope(transport.PullScope)}
	} else if mountFrom != "" {
		dstScopes = append(dstScopes, srcRef.Context().Scope(transport.PullScope))
	}

	// Both sessions at once, then the source manifest and the
	// destination's tag at once.
	var srcS, dstS *session
	err = parallel(ctx, 2, 2, func(ctx context.Context, i int) error {
		var err error
		if i == 0 {
			srcS, err = c.src.open(ctx, srcRef.Context(), []string{srcRef.Scope(transport.PullScope)}, c.retry)
		} else {
			dstS, err = c.dst.open(ctx, dstRef.Context(), dstScopes, c.retry)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	var (
		root     *manifest
		previous v1.Hash
		found    bool
	)
	err = parallel(ctx, 2, 2, func(ctx context.Context, i int) error {
		var err error
		if i == 0 {
			root, err = c.resolve(ctx, srcS, srcRef)
		} else {
			previous, found, err = dstS.headManifest(ctx, dstRef.Identifier())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Digest: root.digest.String(), MediaType: string(root.mediaType)}
	if found {
		res.Previous = previous.String()
	}
	if d, ok := dstRef.(name.Digest); ok && d.DigestStr() != res.Digest {
		return res, fmt.Errorf("the destination names digest %s but the source is %s", d.DigestStr(), res.Digest)
	}
	if found && previous == root.digest {
		return res, nil
	}
	res.Changed = true

	p := &plan{src: srcS, dst: dstS, jobs: c.o.jobs, blobs: map[v1.Hash]v1.Descriptor{}}
	if err := p.walk(ctx, root, true); err != nil {
		return res, err
	}
	for _, m := range p.manifests {
		res.Manifests = append(res.Manifests, m.digest.String())
	}
	if c.o.dryRun {
		return res, nil
	}

	// Blobs, the largest first so the last to finish is a small one.
	blobs := make([]v1.Descriptor, 0, len(p.blobs))
	for _, d := range p.blobs {
		blobs = append(blobs, d)
	}
	slices.SortFunc(blobs, func(a, b v1.Descriptor) int {
		if c := cmp.Compare(b.Size, a.Size); c != 0 {
			return c
		}
		return strings.Compare(a.Digest.String(), b.Digest.String())
	})
	var st blobStats
	err = parallel(ctx, len(blobs), c.o.jobs, func(ctx context.Context, i int) error {
		return copyBlob(ctx, srcS, dstS, blobs[i], mountFrom, &st)
	})
	res.Uploaded, res.Mounted, res.Existing = int(st.uploaded.Load()), int(st.mounted.Load()), int(st.existing.Load())
	res.Bytes = st.bytes.Load()
	if err != nil {
		return res, err
	}
	// Then the manifests, children before parents, the root last under
	// the destination's name.
	for i, m := range p.manifests {
		ref := m.digest.String()
		if i == len(p.manifests)-1 {
			ref = dstRef.Identifier()
		}
		if err := dstS.putManifest(ctx, ref, m); err != nil {
			return res, err
		}
	}
	return res, nil
}

// resolve fetches the manifest ref names and, with a platform set and an
// index found, the platform's image in it.
func (c *Copier) resolve(ctx context.Context, s *session, ref name.Reference) (*manifest, error) {
	m, err := s.getManifest(ctx, ref.Identifier(), "")
	if err != nil {
		return nil, err
	}
	for depth := 0; c.o.platform != nil && m.isIndex(); depth++ {
		if depth == 4 {
			return nil, fmt.Errorf("indexes nested deeper than %d", depth)
		}
		d, err := pick(m, c.o.platform)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		if m, err = s.getManifest(ctx, d.Digest.String(), d.MediaType); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// plan is what a copy must write: the manifests missing at the
// destination in the order to write them, and the blobs they need.
type plan struct {
	src, dst  *session
	jobs      int
	mu        sync.Mutex
	manifests []*manifest
	blobs     map[v1.Hash]v1.Descriptor
}

// walk adds m to the plan after the children the destination lacks. A
// manifest the destination holds already is complete there (registries
// check what a manifest names when it is put), so its subtree is skipped;
// the root is written all the same, to set the destination's tag.
func (p *plan) walk(ctx context.Context, m *manifest, root bool) error {
	if root {
		_, found, err := p.dst.headManifest(ctx, m.digest.String())
		if err != nil {
			return err
		}
		if found {
			p.manifests = append(p.manifests, m)
			return nil
		}
	}
	descs, blobs, err := m.children()
	if err != nil {
		return err
	}
	p.mu.Lock()
	for _, b := range blobs {
		p.blobs[b.Digest] = b
	}
	p.mu.Unlock()

	// Children in parallel; each fills its own sub-plan, joined in the
	// index's order so the result does not depend on timing.
	subs := make([]*plan, len(descs))
	err = parallel(ctx, len(descs), p.jobs, func(ctx context.Context, i int) error {
		d := descs[i]
		_, found, err := p.dst.headManifest(ctx, d.Digest.String())
		if err != nil || found {
			return err
		}
		child, err := p.src.getManifest(ctx, d.Digest.String(), d.MediaType)
		if err != nil {
			return err
		}
		sub := &plan{src: p.src, dst: p.dst, jobs: p.jobs, blobs: map[v1.Hash]v1.Descriptor{}}
		subs[i] = sub
		return sub.walk(ctx, child, false)
	})
	if err != nil {
		return err
	}
	seen := map[v1.Hash]bool{}
	for _, sub := range subs {
		if sub == nil {
			continue
		}
		for _, cm := range sub.manifests {
			if !seen[cm.digest] {
				seen[cm.digest] = true
				p.manifests = append(p.manifests, cm)
			}
		}
		for h, b := range sub.blobs {
			p.blobs[h] = b
		}
	}
	p.manifests = append(p.manifests, m)
	return nil
}

// parallel runs f(0..n-1), at most limit at once, and returns the first
// error; the others are cancelled then.
func parallel(ctx context.Context, n, limit int, f func(context.Context, int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, max(limit, 1))
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if first == nil {
		return ctx.Err()
	}
	return first
}
