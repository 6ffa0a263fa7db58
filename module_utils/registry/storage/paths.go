// Package storage keeps a registry's content on a local filesystem, so that
// a server killed at any moment never serves a partial or corrupt blob or
// manifest after a restart, and keeps everything it acknowledged.
//
// The layout under the root directory:
//
//	<root>/
//	  blobs/<alg>/<hh>/<hex>                  content: layers, configs and manifests,
//	                                          by digest (<hh> = first two hex digits);
//	                                          immutable once in place, never partial
//	  uploads/<id>/info                       JSON {"repository","started"} of an upload session
//	  uploads/<id>/data                       the bytes received so far
//	  repositories/<name>/                    <name> may have several components (a/b/c)
//	    _layers/<alg>/<hex>                   link: the blob is in this repository
//	    _manifests/revisions/<alg>/<hex>      link: JSON {"mediaType","size","identity","subject"}
//	    _manifests/tags/<tag>                 JSON {"manifests":[{"digest","mediaType"}...]},
//	                                          the formats of one image, most recent last
//	    _referrers/<alg>/<hex>                JSON {"manifests":[descriptor...]}: the
//	                                          manifests whose subject is <alg>:<hex>
//
// Link and metadata files are small and replaced atomically (temporary file,
// fsync, rename, fsync of the directory; see module_utils/atomicfile).
// Temporary files start with a dot, which no digest, tag or repository
// component can, so a torn temporary file is never mistaken for content.
//
// The order of writes is what makes a crash harmless: an upload's data is
// fsynced, its digest verified, and only then renamed into blobs/ (a rename
// over identical content when two uploads of the same blob race); the
// repository's link is written after the blob; a manifest's revision after
// its content, its referrers entry after the revision, its tags last.
// Deletion runs in the opposite order. Blob content is never deleted (there
// is no garbage collection): deleting a blob or a manifest removes links.
package storage

import (
	"path/filepath"

	"github.com/gating/containers/module_utils/registry/reference"
)

const (
	blobsDir        = "blobs"
	uploadsDir      = "uploads"
	repositoriesDir = "repositories"
	layersDir       = "_layers"
	manifestsDir    = "_manifests"
	revisionsDir    = "revisions"
	tagsDir         = "tags"
	referrersDir    = "_referrers"
	uploadInfoFile  = "info"
	uploadDataFile  = "data"
)

// Callers pass digests with an Available algorithm, names and tags that
// passed the reference package's validation: none can contain "/" or "..".

func (s *Store) blobPath(d reference.Digest) string {
	enc := d.Encoded()
	return filepath.Join(s.root, blobsDir, string(d.Algorithm()), enc[:2], enc)
}

func (s *Store) repoPath(repo string) string {
	return filepath.Join(s.root, repositoriesDir, filepath.FromSlash(repo))
}

func (s *Store) layerLinkPath(repo string, d reference.Digest) string {
	return filepath.Join(s.repoPath(repo), layersDir, string(d.Algorithm()), d.Encoded())
}

func (s *Store) revisionPath(repo string, d reference.Digest) string {
	return filepath.Join(s.repoPath(repo), manifestsDir, revisionsDir, string(d.Algorithm()), d.Encoded())
}

func (s *Store) tagsPath(repo string) string {
	return filepath.Join(s.repoPath(repo), manifestsDir, tagsDir)
}

func (s *Store) tagPath(repo, tag string) string {
	return filepath.Join(s.tagsPath(repo), tag)
}

func (s *Store) referrersPath(repo string, subject reference.Digest) string {
	return filepath.Join(s.repoPath(repo), referrersDir, string(subject.Algorithm()), subject.Encoded())
}

func (s *Store) uploadPath(id string) string {
	return filepath.Join(s.root, uploadsDir, id)
}
