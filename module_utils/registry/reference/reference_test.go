package reference

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The specs' regular expressions: the hand-written validators must agree
// with them on every input (FuzzValidateName, FuzzValidateTag).
var (
	nameRegexp = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	tagRegexp  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
	// digestRegexp is the image-spec grammar of any digest.
	digestRegexp = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
)

const emptySHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestParseDigest(t *testing.T) {
	sha512Hex := strings.Repeat("ab", 64)
	tests := []struct {
		in      string
		wantErr error
	}{
		{emptySHA256, nil},
		{"sha512:" + sha512Hex, nil},
		{"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", ErrDigestInvalid},
		{"sha256:baddigeststring", ErrDigestInvalid},
		{"sha256:" + sha512Hex, ErrDigestInvalid},
		{"sha512:" + strings.Repeat("a", 64), ErrDigestInvalid},
		{"sha256", ErrDigestInvalid},
		{":abc", ErrDigestInvalid},
		{"sha256:", ErrDigestInvalid},
		{"SHA256:abc", ErrDigestInvalid},
		{"sha256+-x:abc", ErrDigestInvalid},
		{"sha256:abc/../x", ErrDigestInvalid},
		{"blake3:abc", ErrDigestUnsupported},
		{"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", ErrDigestUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDigest(tt.in)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Contains(t, err.Error(), tt.in, "the error names the input")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.in, d.String())
		})
	}
}

func TestDigestParts(t *testing.T) {
	d, err := ParseDigest(emptySHA256)
	require.NoError(t, err)
	require.Equal(t, SHA256, d.Algorithm())
	require.Equal(t, strings.TrimPrefix(emptySHA256, "sha256:"), d.Encoded())
	require.Equal(t, Digest(emptySHA256), SHA256.FromBytes(nil))
	fromReader, err := SHA512.FromReader(strings.NewReader("abc"))
	require.NoError(t, err)
	require.Equal(t, SHA512.FromBytes([]byte("abc")), fromReader)
	require.Len(t, fromReader.Encoded(), 128)
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"a", true},
		{"library/alpine", true},
		{"quay.io/org/img", true},
		{"a__b", true},
		{"a---b/c.d_e", true},
		{"conformance/repo1", true},
		{"", false},
		{"A", false},
		{"a//b", false},
		{"/a", false},
		{"a/", false},
		{"a___b", false},
		{"a_-b", false},
		{"a._b", false},
		{"_layers", false},
		{"a/_manifests", false},
		{"..", false},
		{"a/../b", false},
		{"a/./b", false},
		{"a b", false},
		{"a:b", false},
		{strings.Repeat("a", 255), true},
		{strings.Repeat("a", 256), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateName(tt.name)
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrNameInvalid)
			}
		})
	}
}

func TestValidateTag(t *testing.T) {
	tests := []struct {
		tag string
		ok  bool
	}{
		{"latest", true},
		{"3.19.0", true},
		{"_x", true},
		{"change_123_latest", true},
		{"A-b.c_D", true},
		{strings.Repeat("t", 128), true},
		{strings.Repeat("t", 129), false},
		{"", false},
		{".hidden", false},
		{"-x", false},
		{"a/b", false},
		{"sha256:abc", false},
		{"a b", false},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			err := ValidateTag(tt.tag)
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrTagInvalid)
			}
		})
	}
}

func FuzzParseDigest(f *testing.F) {
	f.Add(emptySHA256)
	f.Add("sha512:" + strings.Repeat("0", 128))
	f.Add("sha256:baddigeststring")
	f.Add("a+b.c_d-e:ABC=_-")
	f.Add("sha256:../../etc/passwd")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		wellFormed := digestRegexp.MatchString(s)
		switch {
		case err == nil:
			if !wellFormed || !d.Algorithm().Available() || d.String() != s {
				t.Fatalf("ParseDigest(%q) accepted a digest it should not", s)
			}
			if strings.ContainsAny(d.Encoded(), "/.") {
				t.Fatalf("ParseDigest(%q) accepted a path-unsafe digest", s)
			}
			if len(d.Encoded()) != d.Algorithm().encodedLen() {
				t.Fatalf("ParseDigest(%q): wrong length accepted", s)
			}
		case errors.Is(err, ErrDigestUnsupported):
			if !wellFormed || Algorithm(d.Algorithm()).Available() {
				t.Fatalf("ParseDigest(%q) = unsupported for a digest that is not", s)
			}
		case errors.Is(err, ErrDigestInvalid):
			alg, _, _ := strings.Cut(s, ":")
			if wellFormed && !Algorithm(alg).Available() {
				t.Fatalf("ParseDigest(%q) rejected a well-formed digest of another algorithm", s)
			}
		default:
			t.Fatalf("ParseDigest(%q): unexpected error %v", s, err)
		}
	})
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"library/alpine", "a__b", "a___b", "a-_b", "quay.io/x", "a//b", "_x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := nameRegexp.MatchString(s) && len(s) <= MaxNameLength
		if got := ValidateName(s) == nil; got != want {
			t.Fatalf("ValidateName(%q) = %v, the spec's expression says %v", s, got, want)
		}
	})
}

func FuzzValidateTag(f *testing.F) {
	for _, s := range []string{"latest", ".x", "x.", "_", strings.Repeat("a", 128)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := tagRegexp.MatchString(s)
		if got := ValidateTag(s) == nil; got != want {
			t.Fatalf("ValidateTag(%q) = %v, the spec's expression says %v", s, got, want)
		}
	})
}
