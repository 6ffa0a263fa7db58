// Command registry_tag points tags of a repository at an image by copying
// its manifest, removes tags, and prunes stale temporary tags, on OCI
// registries, Docker Hub and quay.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/retag"
)

type params struct {
	Image        string   `ansible:"image,required"`
	Source       string   `ansible:"source"`
	Tags         []string `ansible:"tags"`
	Remove       []string `ansible:"remove"`
	Prune        bool     `ansible:"prune" default:"no"`
	PrunePrefix  string   `ansible:"prune_prefix"`
	PruneAge     int      `ansible:"prune_age" default:"86400"`
	Pipeline     string   `ansible:"pipeline"`
	RegistryType string   `ansible:"registry_type" default:"auto" choices:"auto,oci,hub,quay"`
	Username     string   `ansible:"username"`
	Password     string   `ansible:"password,no_log"`
	APIToken     string   `ansible:"api_token,no_log"`
	CA           string   `ansible:"ca"`
	Insecure     bool     `ansible:"insecure" default:"no"`
	HubAPIURL    string   `ansible:"hub_api_url" default:"https://hub.docker.com"`
	QuayAPIURL   string   `ansible:"quay_api_url"`
	Retries      int      `ansible:"retries" default:"3"`
}

func main() { os.Exit(ansible.Main(run)) }

// validate checks what the options' types cannot.
func validate(p *params) error {
	switch {
	case p.Source == "" && len(p.Tags) > 0:
		return errors.New("tags needs source: the tag or digest the tags are to point at")
	case len(p.Tags) == 0 && len(p.Remove) == 0 && !p.Prune && p.Source == "":
		return errors.New("nothing to do: give source and tags, remove, or prune")
	case p.PruneAge < 0:
		return fmt.Errorf("prune_age %d: must not be negative", p.PruneAge)
	case p.Retries < 0:
		return fmt.Errorf("retries %d: must not be negative", p.Retries)
	}
	for _, t := range p.Tags {
		if slices.Contains(p.Remove, t) {
			return fmt.Errorf("tag %q is both in tags and in remove", t)
		}
	}
	return nil
}

func run(m *ansible.Module, p *params) (res ansible.Result, _ error) {
	if err := validate(p); err != nil {
		return res, err
	}
	var pattern *regexp.Regexp
	if p.Prune {
		expr := p.PrunePrefix
		if expr == "" {
			expr = retag.DefaultPrunePattern(p.Pipeline)
		}
		var err error
		if pattern, err = regexp.Compile(expr); err != nil {
			return res, fmt.Errorf("prune_prefix %q: %w", expr, err)
		}
	}
	c, err := retag.New(p.Image,
		retag.WithType(retag.Type(p.RegistryType)),
		retag.WithBasicAuth(p.Username, p.Password),
		retag.WithAPIToken(p.APIToken),
		retag.WithCA([]byte(p.CA)),
		retag.WithInsecure(p.Insecure),
		retag.WithHubAPI(p.HubAPIURL),
		retag.WithQuayAPI(p.QuayAPIURL),
		retag.WithRetries(p.Retries),
		retag.WithDryRun(m.CheckMode),
	)
	if err != nil {
		return res, err
	}
	ctx := context.Background()
	res.Set("image", c.Repository())
	res.Set("registry_type", string(c.Type()))
	res.Set("digest", "")
	tagged, removed, pruned, unknown := []string{}, []string{}, []string{}, []string{}
	var changes []retag.Change
	defer func() {
		res.Set("tagged", tagged)
		res.Set("removed", removed)
		res.Set("pruned", pruned)
		res.Set("prune_unknown_age", unknown)
		res.Changed = len(changes) > 0
		if res.Changed {
			res.Diffs = []ansible.Diff{diff(c.Repository(), changes)}
		}
	}()

	if p.Source != "" {
		r, err := c.Retag(ctx, p.Source, p.Tags)
		if r != nil {
			res.Set("digest", r.Digest)
			res.Set("media_type", r.MediaType)
			for _, ch := range r.Changes {
				tagged = append(tagged, ch.Tag)
				changes = append(changes, ch)
			}
		}
		if err != nil {
			// Removing the source of a failed retag could lose the image.
			return res, err
		}
	}
	var errs []error
	if len(p.Remove) > 0 {
		r, err := c.Remove(ctx, p.Remove)
		for _, ch := range r {
			removed = append(removed, ch.Tag)
			changes = append(changes, ch)
		}
		errs = append(errs, err)
	}
	if p.Prune {
		keep := append(append([]string(nil), p.Tags...), p.Source)
		r, err := c.Prune(ctx, retag.Pruning{
			Match:  pattern,
			Before: time.Now().Add(-time.Duration(p.PruneAge) * time.Second),
			Keep:   keep,
		})
		if r != nil {
			for _, ch := range r.Changes {
				pruned = append(pruned, ch.Tag)
				changes = append(changes, ch)
			}
			unknown = append(unknown, r.Unknown...)
			if len(r.Unknown) > 0 {
				m.Warn("%s: the age of %s is unknown (no created time in the image config), so they were not pruned",
					c.Repository(), strings.Join(r.Unknown, ", "))
			}
		}
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// diff shows each changed tag with the digest it pointed at before and
// after ("absent" where it did not exist).
func diff(repo string, changes []retag.Change) ansible.Diff {
	var before, after strings.Builder
	show := func(s string) string {
		if s == "" {
			return "absent"
		}
		return s
	}
	for _, ch := range changes {
		fmt.Fprintf(&before, "%s: %s\n", ch.Tag, show(ch.Before))
		fmt.Fprintf(&after, "%s: %s\n", ch.Tag, show(ch.After))
	}
	return ansible.Diff{
		Before: before.String(), After: after.String(),
		BeforeHeader: repo + " (before)", AfterHeader: repo + " (after)",
	}
}
