package retag

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Remove deletes each of tags, and only the tag: the image and its other
// tags stay. Tags that do not exist are no change. Every tag is tried;
// the errors of those that could not be removed are joined.
func (c *Client) Remove(ctx context.Context, tags []string) ([]Change, error) {
	tags = unique(tags)
	for _, t := range tags {
		if err := checkTag(t); err != nil {
			return nil, err
		}
	}
	var changes []Change
	var errs []error
	for _, tag := range tags {
		ch, err := c.remove(ctx, tag)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ch != nil {
			changes = append(changes, *ch)
		}
	}
	return changes, errors.Join(errs...)
}

// remove deletes one tag; nil, nil when it does not exist.
func (c *Client) remove(ctx context.Context, tag string) (*Change, error) {
	digest, found, err := c.tags.lookup(ctx, tag)
	if err != nil {
		return nil, fmt.Errorf("looking up %s: %w", c.ref(tag), err)
	}
	if !found {
		return nil, nil
	}
	if digest == "" {
		digest = "unknown"
	}
	if !c.o.dryRun {
		err := c.tags.remove(ctx, tag)
		if errors.Is(err, ErrNotFound) {
			return nil, nil // gone meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("removing %s: %w", c.ref(tag), err)
		}
	}
	return &Change{Tag: tag, Before: digest}, nil
}

// ociTags removes and lists tags through the distribution API.
type ociTags struct {
	reg      *registry
	pageSize int
}

func (s *ociTags) lookup(ctx context.Context, tag string) (string, bool, error) {
	return s.reg.headManifest(ctx, tag)
}

// remove uses the tag DELETE where the registry has it, and otherwise
// moves the tag onto a throwaway manifest and deletes that by digest.
func (s *ociTags) remove(ctx context.Context, tag string) error {
	r := s.reg
	if r.tagDelete != unsupported {
		err := r.deleteManifest(ctx, tag)
		switch {
		case err == nil:
			r.tagDelete = supported
			return nil
		case errors.Is(err, ErrNotFound):
			// Gone, or a registry that routes no tag DELETE: look again.
			_, found, herr := r.headManifest(ctx, tag)
			if herr != nil {
				return herr
			}
			if !found {
				return ErrNotFound
			}
		case !deleteUnsupported(err) || r.tagDelete == supported:
			return err
		}
		r.tagDelete = unsupported
	}
	return s.removeByPlaceholder(ctx, tag)
}

// deleteUnsupported tells the answers of registries that delete no tags
// (405, 400 as distribution 2.x gives, or the UNSUPPORTED code).
func deleteUnsupported(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusMethodNotAllowed || te.StatusCode == http.StatusBadRequest {
		return true
	}
	for _, d := range te.Errors {
		if d.Code == transport.UnsupportedErrorCode {
			return true
		}
	}
	return false
}

// removeByPlaceholder moves tag onto a manifest nothing else points at and
// deletes that manifest by digest, which takes only this tag with it.
func (s *ociTags) removeByPlaceholder(ctx context.Context, tag string) error {
	r := s.reg
	if err := r.ensureBlob(ctx, emptyDigest, []byte(emptyJSON)); err != nil {
		return fmt.Errorf("preparing a placeholder manifest: %w", err)
	}
	if r.digestDelete == untried {
		// Try digest deletion on a placeholder no tag points at, so a
		// registry that deletes nothing keeps the tag as it was.
		probe, err := placeholder("")
		if err != nil {
			return err
		}
		d := digestOf(probe)
		if _, err := r.putManifest(ctx, d, string(types.OCIManifestSchema1), probe); err != nil {
			return fmt.Errorf("storing a placeholder manifest: %w", err)
		}
		if err := r.deleteManifest(ctx, d); err != nil {
			if !deleteUnsupported(err) {
				return fmt.Errorf("deleting the placeholder manifest %s: %w", d, err)
			}
			r.digestDelete = unsupported
		} else {
			r.digestDelete = supported
		}
	}
	if r.digestDelete == unsupported {
		return fmt.Errorf("%w: tag DELETE and manifest DELETE were both refused (distribution needs storage.delete.enabled)", ErrDeleteUnsupported)
	}
	body, err := placeholder(tag)
	if err != nil {
		return err
	}
	d, err := r.putManifest(ctx, tag, string(types.OCIManifestSchema1), body)
	if err != nil {
		return fmt.Errorf("moving the tag onto a placeholder manifest: %w", err)
	}
	if err := r.deleteManifest(ctx, d); err != nil {
		return fmt.Errorf("the tag now points at the placeholder manifest %s, which could not be deleted: %w", d, err)
	}
	return nil
}

func (s *ociTags) list(ctx context.Context, match func(string) bool) ([]Tag, error) {
	names, err := s.reg.listTags(ctx, s.pageSize)
	if err != nil {
		return nil, err
	}
	var out []Tag
	for _, n := range names {
		if !match(n) {
			continue
		}
		created, digest, err := s.reg.created(ctx, n)
		if errors.Is(err, ErrNotFound) {
			continue // removed since the listing
		}
		if err != nil {
			return out, fmt.Errorf("reading the age of tag %s: %w", n, err)
		}
		out = append(out, Tag{Name: n, Digest: digest, Updated: created})
	}
	return out, nil
}

// The OCI empty descriptor's content: the config and only layer of the
// placeholder manifests.
const (
	emptyJSON   = "{}"
	emptyDigest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
)

// Annotation keys of the placeholder manifests.
const (
	annotationPurpose = "io.github.gating.containers.placeholder"
	annotationNonce   = "io.github.gating.containers.nonce"
)

// placeholder is a unique OCI manifest of the empty descriptor: unique so
// that deleting it by digest removes no tag but the one moved onto it.
func placeholder(tag string) ([]byte, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	purpose := "probe for manifest deletion"
	if tag != "" {
		purpose = "removal of tag " + tag
	}
	empty := map[string]any{"mediaType": string(types.OCIEmptyJSON), "digest": emptyDigest, "size": len(emptyJSON)}
	return json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     string(types.OCIManifestSchema1),
		"config":        empty,
		"layers":        []any{empty},
		"annotations": map[string]string{
			annotationPurpose: purpose,
			annotationNonce:   hex.EncodeToString(nonce),
		},
	})
}
