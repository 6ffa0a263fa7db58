package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Why a token is refused. Authorize reports them in the AuthError's
// message; errors.Is finds them in tests.
var (
	errMalformed   = errors.New("malformed token")
	errAlgorithm   = errors.New("token algorithm is not HS256")
	errSignature   = errors.New("token signature does not match")
	errExpired     = errors.New("token expired")
	errNotYetValid = errors.New("token not valid yet")
	errAudience    = errors.New("token is for another service")
	errIssuer      = errors.New("token from another issuer")
)

// maxTokenSize bounds what is decoded: a token granting maxScopes long
// repository names stays well below it.
const maxTokenSize = 64 << 10

// b64 is the JWT encoding: base64url without padding. Strict rejects
// non-canonical trailing bits, so a token has one spelling only.
var b64 = base64.RawURLEncoding.Strict()

// jwtHeader is the header of every token issued, encoded once.
var jwtHeader = b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// claims is the payload of a token. Times are seconds since the epoch.
type claims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"` // user name; empty for anonymous tokens
	Audience  string   `json:"aud"` // the service
	ExpiresAt int64    `json:"exp"`
	NotBefore int64    `json:"nbf"`
	IssuedAt  int64    `json:"iat"`
	ID        string   `json:"jti"`
	Access    []access `json:"access"`
}

// sign encodes c as a compact HS256 JWT.
func sign(secret []byte, c claims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding token claims: %w", err)
	}
	signed := jwtHeader + "." + b64.EncodeToString(payload)
	return signed + "." + b64.EncodeToString(mac(secret, signed)), nil
}

func mac(secret []byte, signed string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(signed))
	return h.Sum(nil)
}

// header is the part of a JOSE header verify reads.
type header struct {
	Alg  string   `json:"alg"`
	Typ  string   `json:"typ"`
	Crit []string `json:"crit"`
}

// verify checks that token is an HS256 JWT signed with secret and returns
// its claims; times, issuer and audience are the caller's to check. The
// algorithm is fixed, not taken from the token: "none", RS256 with the
// secret as a "public key" and the like are refused before any signature
// check.
func verify(secret []byte, token string) (claims, error) {
	if len(token) > maxTokenSize {
		return claims{}, fmt.Errorf("%w: %d bytes", errMalformed, len(token))
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims{}, fmt.Errorf("%w: %d parts, want 3", errMalformed, len(parts))
	}
	rawHeader, err := b64.DecodeString(parts[0])
	if err != nil {
		return claims{}, fmt.Errorf("%w: header: %w", errMalformed, err)
	}
	var h header
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return claims{}, fmt.Errorf("%w: header: %w", errMalformed, err)
	}
	if h.Alg != "HS256" {
		return claims{}, fmt.Errorf("%w: %q", errAlgorithm, h.Alg)
	}
	if (h.Typ != "" && h.Typ != "JWT") || len(h.Crit) > 0 {
		return claims{}, fmt.Errorf("%w: header type %q, critical %q", errMalformed, h.Typ, h.Crit)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return claims{}, fmt.Errorf("%w: signature: %w", errMalformed, err)
	}
	if !hmac.Equal(sig, mac(secret, parts[0]+"."+parts[1])) {
		return claims{}, errSignature
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return claims{}, fmt.Errorf("%w: payload: %w", errMalformed, err)
	}
	var c claims
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&c); err != nil {
		return claims{}, fmt.Errorf("%w: payload: %w", errMalformed, err)
	}
	if dec.More() {
		return claims{}, fmt.Errorf("%w: payload: data after the claims", errMalformed)
	}
	return c, nil
}
