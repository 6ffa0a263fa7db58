// Package retag moves, removes and prunes tags of one repository without
// touching its layers: the registry-side half of promoting a gated image.
//
// A retag reads the source manifest (an image or an index, by tag or
// digest) and writes the same bytes, with the same media type, under each
// new tag. Nothing else is uploaded: the config, the layers and, for an
// index, the child manifests are already in the repository, so the new
// tags have exactly the source's digest. A tag that already has that
// digest is left alone.
//
// Tags are removed and listed through the API the registry's type offers:
//
//   - OCI registries: the distribution-spec tag DELETE
//     (DELETE /v2/<name>/manifests/<tag>). Registries that delete only by
//     digest (distribution 2.x answers 400 DIGEST_INVALID, others 405 or
//     UNSUPPORTED) would lose every tag of the image if its digest were
//     deleted, so for them the tag is first moved onto a unique throwaway
//     manifest (an OCI manifest of the empty descriptor with a random
//     annotation) and that manifest alone is deleted by digest. Whether
//     digest deletion works is tried once, on a throwaway manifest no tag
//     points at, before any tag is moved: a registry that deletes nothing
//     keeps its tags as they were and the removal fails with
//     ErrDeleteUnsupported.
//   - Docker Hub: its web API (POST <hub>/v2/users/login for a JWT, then
//     DELETE <hub>/v2/repositories/<ns>/<repo>/tags/<tag>/), since Hub's
//     registry deletes nothing.
//   - quay: its API (DELETE <quay>/api/v1/repository/<ns>/<repo>/tag/<tag>
//     with the API token as a Bearer token).
//
// Pruning lists the tags whose names match a pattern and removes those
// last changed before a cutoff. Hub and quay say when a tag was last
// pushed (Hub's last_updated, quay's start_ts). The OCI API has no such
// date, so for a plain registry the age of a tag is the `created` time in
// its image config (for an index, the newest of its images): the time the
// image was built, not the time it was pushed. Images whose created time
// is missing or the Unix epoch (reproducible builds set it so) have no
// known age and are never pruned; Prune reports them.
//
// The registry's type comes from its host (docker.io, index.docker.io and
// registry-1.docker.io are Hub, quay.io is quay, anything else OCI) or is
// given with WithType; the web APIs' base URLs can be moved with
// WithHubAPI and WithQuayAPI, for private deployments and tests.
package retag
