package retag

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Pruning is what Prune removes: tags whose names Match, last changed
// before Before, except those in Keep.
type Pruning struct {
	Match  *regexp.Regexp
	Before time.Time
	Keep   []string
}

// DefaultPrunePattern matches the temporary tags of the promote flow:
// change_<N>_<tag> and, when pipeline is not empty, <pipeline>_<tag>.
func DefaultPrunePattern(pipeline string) string {
	if pipeline == "" {
		return "^change_"
	}
	return "^change_|^" + regexp.QuoteMeta(pipeline) + "_"
}

// Pruned is the outcome of Prune.
type Pruned struct {
	Changes []Change // the tags removed (or that would be)
	Unknown []string // matching tags whose age is unknown, left alone
}

// Prune removes the stale tags p selects. Ages come from the listing API
// of the registry's type (see the package documentation); a tag is stale
// when it last changed strictly before p.Before. Every stale tag is tried;
// the errors are joined.
func (c *Client) Prune(ctx context.Context, p Pruning) (*Pruned, error) {
	if p.Match == nil {
		return nil, errors.New("prune: no pattern")
	}
	if p.Before.IsZero() {
		return nil, errors.New("prune: no cutoff time")
	}
	keep := map[string]bool{}
	for _, k := range p.Keep {
		keep[k] = true
	}
	tags, err := c.tags.list(ctx, func(n string) bool { return p.Match.MatchString(n) && !keep[n] })
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s: %w", c.repo.Name(), err)
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Name < tags[j].Name })
	out := &Pruned{}
	var errs []error
	for _, t := range tags {
		if t.Updated.IsZero() {
			out.Unknown = append(out.Unknown, t.Name)
			continue
		}
		if !t.Updated.Before(p.Before) {
			continue
		}
		before := t.Digest
		if before == "" {
			before = "unknown"
		}
		if !c.o.dryRun {
			err := c.tags.remove(ctx, t.Name)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("removing stale tag %s (last changed %s): %w",
					c.ref(t.Name), t.Updated.UTC().Format(time.RFC3339), err))
				continue
			}
		}
		out.Changes = append(out.Changes, Change{Tag: t.Name, Before: before})
	}
	return out, errors.Join(errs...)
}

// maxChildren bounds the images of an index read for its age.
const maxChildren = 64

// created is the image build time of a tag, from its config's `created`
// (for an index the newest of its images'), and its digest. Zero when no
// image says.
func (r *registry) created(ctx context.Context, tag string) (time.Time, string, error) {
	m, err := r.getManifest(ctx, tag)
	if err != nil {
		return time.Time{}, "", err
	}
	doc, err := parseManifest(m.body)
	if err != nil {
		return time.Time{}, m.digest, fmt.Errorf("manifest %s: %w", m.digest, err)
	}
	if !isIndex(m.mediaType) {
		t, err := r.configCreated(ctx, doc)
		return t, m.digest, err
	}
	var newest time.Time
	for i, child := range doc.Manifests {
		if i == maxChildren {
			break
		}
		if child.Platform != nil && child.Platform.OS == "unknown" {
			continue // attestations and other artifacts
		}
		cm, err := r.getManifest(ctx, child.Digest)
		if err != nil {
			return time.Time{}, m.digest, err
		}
		if isIndex(cm.mediaType) {
			continue // nested indexes are not followed
		}
		cdoc, err := parseManifest(cm.body)
		if err != nil {
			return time.Time{}, m.digest, fmt.Errorf("manifest %s: %w", cm.digest, err)
		}
		t, err := r.configCreated(ctx, cdoc)
		if err != nil {
			return time.Time{}, m.digest, err
		}
		if t.After(newest) {
			newest = t
		}
	}
	return newest, m.digest, nil
}

func (r *registry) configCreated(ctx context.Context, doc *manifestDoc) (time.Time, error) {
	if doc.Config == nil || doc.Config.Digest == "" || doc.Config.MediaType == string(types.OCIEmptyJSON) {
		return time.Time{}, nil
	}
	body, err := r.getBlob(ctx, doc.Config.Digest, maxConfigSize)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading config %s: %w", doc.Config.Digest, err)
	}
	var cfg struct {
		Created string `json:"created"`
	}
	if json.Unmarshal(body, &cfg) != nil || cfg.Created == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, cfg.Created)
	if err != nil || t.Unix() <= 0 {
		return time.Time{}, nil // unparsable, or the epoch of reproducible builds
	}
	return t, nil
}

type manifestDoc struct {
	Config *struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
	} `json:"config"`
	Manifests []struct {
		Digest   string `json:"digest"`
		Platform *struct {
			OS string `json:"os"`
		} `json:"platform"`
	} `json:"manifests"`
}

func parseManifest(body []byte) (*manifestDoc, error) {
	var d manifestDoc
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

func isIndex(mt string) bool {
	return mt == string(types.OCIImageIndex) || mt == string(types.DockerManifestList)
}
