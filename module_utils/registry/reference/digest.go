// Package reference parses the identifiers of the distribution API:
// repository names, tags and content digests, by the grammar of the OCI
// distribution and image specifications. Everything that reaches a file path
// in the registry's storage has passed through here first.
package reference

import (
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// ErrDigestInvalid is returned for a string that is not a digest.
var ErrDigestInvalid = errors.New("invalid digest")

// ErrDigestUnsupported is returned for a well-formed digest whose algorithm
// this registry does not implement.
var ErrDigestUnsupported = errors.New("unsupported digest algorithm")

// Algorithm names a hash function, as in the algorithm part of a digest.
type Algorithm string

// The algorithms the registry verifies and stores content by.
const (
	SHA256 Algorithm = "sha256"
	SHA512 Algorithm = "sha512"
)

// Canonical is the algorithm of digests the registry computes itself.
const Canonical = SHA256

// Available reports whether content can be hashed and stored by a.
func (a Algorithm) Available() bool { return a == SHA256 || a == SHA512 }

// Hash returns a new hash for a; it panics for an algorithm that is not
// Available, which callers check first.
func (a Algorithm) Hash() hash.Hash {
	switch a {
	case SHA256:
		return sha256.New()
	case SHA512:
		return sha512.New()
	}
	panic(fmt.Sprintf("reference: hash of unavailable algorithm %q", string(a)))
}

// encodedLen is the length of the hex encoding of a's sum.
func (a Algorithm) encodedLen() int {
	switch a {
	case SHA256:
		return 64
	case SHA512:
		return 128
	}
	return 0
}

// FromBytes returns the digest of b by a, which must be Available.
func (a Algorithm) FromBytes(b []byte) Digest {
	h := a.Hash()
	_, _ = h.Write(b)
	return a.FromHash(h)
}

// FromReader returns the digest of everything r yields by a.
func (a Algorithm) FromReader(r io.Reader) (Digest, error) {
	h := a.Hash()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return a.FromHash(h), nil
}

// FromHash returns the digest of what h has consumed, h being a's hash.
func (a Algorithm) FromHash(h hash.Hash) Digest {
	return Digest(fmt.Sprintf("%s:%x", a, h.Sum(nil)))
}

// Digest is a content identifier, "<algorithm>:<encoded>". A Digest
// obtained from ParseDigest is well formed, and one with an Available
// algorithm is lower-case hex of the right length, safe to use in paths.
type Digest string

// ParseDigest checks s against the image-spec grammar
//
//	digest                ::= algorithm ":" encoded
//	algorithm             ::= algorithm-component (algorithm-separator algorithm-component)*
//	algorithm-component   ::= [a-z0-9]+
//	algorithm-separator   ::= [+._-]
//	encoded               ::= [a-zA-Z0-9=_-]+
//
// and, for the registered algorithms sha256 and sha512, requires lower-case
// hex of the sum's length. A well-formed digest of another algorithm is
// returned with ErrDigestUnsupported.
func ParseDigest(s string) (Digest, error) {
	alg, enc, ok := strings.Cut(s, ":")
	if !ok || !validAlgorithm(alg) || !validEncoded(enc) {
		return "", fmt.Errorf("parsing digest %q: %w", s, ErrDigestInvalid)
	}
	a := Algorithm(alg)
	if !a.Available() {
		return Digest(s), fmt.Errorf("parsing digest %q: %w", s, ErrDigestUnsupported)
	}
	if len(enc) != a.encodedLen() || !lowerHex(enc) {
		return "", fmt.Errorf("parsing digest %q: %s needs %d lower-case hex digits: %w", s, alg, a.encodedLen(), ErrDigestInvalid)
	}
	return Digest(s), nil
}

// Algorithm returns the algorithm part of d.
func (d Digest) Algorithm() Algorithm {
	alg, _, _ := strings.Cut(string(d), ":")
	return Algorithm(alg)
}

// Encoded returns the part of d after the colon.
func (d Digest) Encoded() string {
	_, enc, _ := strings.Cut(string(d), ":")
	return enc
}

func (d Digest) String() string { return string(d) }

func validAlgorithm(s string) bool {
	if s == "" {
		return false
	}
	prevSep := true // a separator may neither start nor end the name, nor repeat
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			prevSep = false
		case c == '+', c == '.', c == '_', c == '-':
			if prevSep {
				return false
			}
			prevSep = true
		default:
			return false
		}
	}
	return !prevSep
}

func validEncoded(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '=' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
