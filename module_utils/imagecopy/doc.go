// Package imagecopy copies container images between registries over the
// OCI distribution API: one image, or an index with every platform it
// lists (like `skopeo copy --all`), or one platform of it.
//
// It exists because the gating jobs copy images between registries that
// each want their own credentials and CA, over addresses docker and skopeo
// cannot parse (IPv6 literals), and used to need socat, certs.d writes and
// a temporary docker config for that. Here each side is an Endpoint with
// its own credentials, CA bundle and plain-HTTP flag, given in memory.
//
// What a copy guarantees:
//   - Manifests are copied byte for byte with their media type, so every
//     digest stays what it was at the source; children are written before
//     the indexes that list them.
//   - Blobs stream from the source to the destination without being held
//     in memory or on disk, several at once (WithJobs); a blob the
//     destination repository already has is skipped (HEAD), and within one
//     registry a blob is mounted from the source repository instead of
//     being uploaded.
//   - A destination that already names the source's digest is left alone
//     (Result.Changed is false); a destination that holds the manifest
//     under another name only gets the tag, so a retag within one
//     repository moves no blob at all.
//   - Connection failures (refused, reset, EOF), 5xx and 429 answers are
//     retried a bounded number of times with exponential backoff, waiting
//     as long as a Retry-After header asks (capped); other answers are
//     final. Errors name the image and the registry that failed.
//
// The package writes no logs and prints nothing.
package imagecopy
