package retag

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Retagged is the outcome of Retag.
type Retagged struct {
	Digest    string   // the source manifest's digest
	MediaType string   // and its media type
	Changes   []Change // the tags that were (or in a dry run would be) set
}

// Retag points each of tags at the manifest source (a tag or a digest)
// resolves to, by writing the same manifest bytes under the tag. No blob
// and no child manifest is written: they must already be in the
// repository. Tags that already have the digest are left alone, so a
// repeated call changes nothing. It stops at the first tag it cannot set.
func (c *Client) Retag(ctx context.Context, source string, tags []string) (*Retagged, error) {
	source = strings.TrimPrefix(source, "@")
	if source == "" {
		return nil, errors.New("retag: no source tag or digest")
	}
	if isDigest(source) {
		if !strings.HasPrefix(source, "sha256:") || len(source) != len("sha256:")+64 {
			return nil, fmt.Errorf("source %q: not a sha256 digest", source)
		}
	} else if err := checkTag(source); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	tags = unique(tags)
	for _, t := range tags {
		if err := checkTag(t); err != nil {
			return nil, err
		}
	}
	src, err := c.reg.getManifest(ctx, source)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of %s: %w", c.ref(source), err)
	}
	out := &Retagged{Digest: src.digest, MediaType: src.mediaType}
	for _, tag := range tags {
		before, found, err := c.reg.headManifest(ctx, tag)
		if err != nil {
			return out, fmt.Errorf("resolving %s: %w", c.ref(tag), err)
		}
		if found && before == src.digest {
			continue
		}
		if !c.o.dryRun {
			got, err := c.reg.putManifest(ctx, tag, src.mediaType, src.body)
			if err != nil {
				return out, fmt.Errorf("tagging %s as %s: %w", c.ref(source), c.ref(tag), err)
			}
			if got != src.digest {
				return out, fmt.Errorf("tagging %s as %s: the registry stored it as %s, not %s",
					c.ref(source), c.ref(tag), got, src.digest)
			}
		}
		out.Changes = append(out.Changes, Change{Tag: tag, Before: before, After: src.digest})
	}
	return out, nil
}

// ref names a tag or digest of the repository, for messages.
func (c *Client) ref(r string) string {
	if isDigest(r) {
		return c.repo.Name() + "@" + r
	}
	return c.repo.Name() + ":" + r
}
