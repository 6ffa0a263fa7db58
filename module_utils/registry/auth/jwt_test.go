package auth

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var testSecret = bytes.Repeat([]byte("k"), SecretSize)

func testClaims() claims {
	return claims{
		Issuer: issuer, Subject: writeName, Audience: DefaultService,
		ExpiresAt: 2000, NotBefore: 1000, IssuedAt: 1000, ID: "id",
		Access: []access{{Type: typeRepository, Name: "a/b", Actions: []string{"pull", "push"}}},
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	c := testClaims()
	token, err := sign(testSecret, c)
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(token, "."))
	require.True(t, strings.HasPrefix(token, jwtHeader+"."))
	got, err := verify(testSecret, token)
	require.NoError(t, err)
	require.Equal(t, c, got)
}

func TestVerifyRefuses(t *testing.T) {
	good, err := sign(testSecret, testClaims())
	require.NoError(t, err)
	parts := strings.Split(good, ".")
	writeAll := testClaims()
	writeAll.Access = []access{{Type: typeRepository, Name: "*", Actions: []string{"*"}}}
	tampered, err := sign(testSecret, writeAll)
	require.NoError(t, err)
	tamperedPayload := strings.Split(tampered, ".")[1]

	for _, tc := range []struct {
		name  string
		token string
		want  error
	}{
		{"other secret", forge(bytes.Repeat([]byte("x"), SecretSize), `{"alg":"HS256","typ":"JWT"}`, testClaims()), errSignature},
		{"alg none unsigned", b64.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", errAlgorithm},
		{"alg none signed", forge(testSecret, `{"alg":"none","typ":"JWT"}`, testClaims()), errAlgorithm},
		{"alg RS256", forge(testSecret, `{"alg":"RS256","typ":"JWT"}`, testClaims()), errAlgorithm},
		{"alg hs256 lowercase", forge(testSecret, `{"alg":"hs256","typ":"JWT"}`, testClaims()), errAlgorithm},
		{"alg missing", forge(testSecret, `{"typ":"JWT"}`, testClaims()), errAlgorithm},
		{"critical header", forge(testSecret, `{"alg":"HS256","crit":["exp"]}`, testClaims()), errMalformed},
		{"other type", forge(testSecret, `{"alg":"HS256","typ":"JWE"}`, testClaims()), errMalformed},
		{"tampered payload", parts[0] + "." + tamperedPayload + "." + parts[2], errSignature},
		{"tampered signature", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])), errSignature},
		{"no signature", parts[0] + "." + parts[1] + ".", errSignature},
		{"two parts", parts[0] + "." + parts[1], errMalformed},
		{"four parts", good + ".x", errMalformed},
		{"empty", "", errMalformed},
		{"header not base64", "!!." + parts[1] + "." + parts[2], errMalformed},
		{"header not JSON", b64.EncodeToString([]byte("HS256")) + "." + parts[1] + "." + parts[2], errMalformed},
		{"padded signature", good + "=", errMalformed},
		{"huge", strings.Repeat("a", maxTokenSize+1), errMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := verify(testSecret, tc.token)
			require.ErrorIs(t, err, tc.want)
			require.Empty(t, c.Access)
		})
	}
}

func TestVerifyRefusesSignedGarbagePayload(t *testing.T) {
	signed := jwtHeader + "." + b64.EncodeToString([]byte(`{"access":[]} trailing`))
	token := signed + "." + b64.EncodeToString(mac(testSecret, signed))
	_, err := verify(testSecret, token)
	require.ErrorIs(t, err, errMalformed)
}
