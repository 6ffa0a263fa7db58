package dockerfile

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "a", "EMPTY": "", "LONG_name_1": "long", "SP": "x y"}
	for _, tt := range []struct {
		word, want string
		escape     rune
	}{
		{"plain", "plain", '\\'},
		{"$A", "a", '\\'},
		{"${A}", "a", '\\'},
		{"$A$A-${A}_", "aa-a_", '\\'},
		{"$LONG_name_1/x", "long/x", '\\'},
		{"$UNSET", "", '\\'},
		{"${UNSET}x", "x", '\\'},
		{"$", "$", '\\'},
		{"a$", "a$", '\\'},
		{"$/x", "$/x", '\\'},
		{"$1$@$$", "", '\\'},
		{"${UNSET:-def}", "def", '\\'},
		{"${EMPTY:-def}", "def", '\\'},
		{"${A:-def}", "a", '\\'},
		{"${UNSET-def}", "def", '\\'},
		{"${EMPTY-def}", "", '\\'},
		{"${A-def}", "a", '\\'},
		{"${UNSET:+alt}", "", '\\'},
		{"${EMPTY:+alt}", "", '\\'},
		{"${A:+alt}", "alt", '\\'},
		{"${UNSET+alt}", "", '\\'},
		{"${EMPTY+alt}", "alt", '\\'},
		{"${A+alt}", "alt", '\\'},
		{"${A:?msg}", "a", '\\'},
		{"${EMPTY?msg}", "", '\\'},
		{"${UNSET:-${A}b}", "ab", '\\'},
		{"${UNSET:-${UNSET2:-deep}}", "deep", '\\'},
		{"${UNSET:-x\\}y}", "x}y", '\\'},
		{"${UNSET:-'q}'}", "q}", '\\'},
		{`"$A b"`, "a b", '\\'},
		{`'$A b'`, "$A b", '\\'},
		{`"\$A \"q\" \\ \x"`, `$A "q" \ \x`, '\\'},
		{`\$A`, "$A", '\\'},
		{`a\ b\`, "a b", '\\'},
		{"`$A", "$A", '`'},
		{`c:\path\$A`, `c:\path\a`, '`'},
		{"\"``\"", "`", '`'},
		{"$SP", "x y", '\\'},
		{"é$A", "éa", '\\'},
	} {
		got, err := expand(tt.word, tt.escape, vars)
		require.NoError(t, err, "%q", tt.word)
		require.Equal(t, tt.want, got, "%q", tt.word)
	}
}

func TestExpandErrors(t *testing.T) {
	vars := map[string]string{"EMPTY": ""}
	for _, tt := range []struct{ word, want string }{
		{"${", "missing '}'"},
		{"${A", "missing '}' after ${A"},
		{"${A:", "missing '}' after ${A:"},
		{"${A:-x", `missing '}'`},
		{"${}", "${}"},
		{"${:-x}", "${:"},
		{"${{A}}", "${{"},
		{"${A:x}", "${A:x...} is not supported"},
		{"${A#x}", "${A#...} is not supported"},
		{"${A%x}", "${A%...} is not supported"},
		{"${A/x/y}", "${A/...} is not supported"},
		{"${UNSET?}", "UNSET: is not allowed to be unset"},
		{"${UNSET:?gone}", "UNSET: gone"},
		{"${EMPTY:?empty}", "EMPTY: empty"},
		{"'open", "missing closing '"},
		{`"open`, `missing closing "`},
		{`"open\"`, `missing closing "`},
	} {
		_, err := expand(tt.word, '\\', vars)
		require.ErrorIs(t, err, ErrSubstitution, "%q", tt.word)
		require.ErrorContains(t, err, tt.want, "%q", tt.word)
	}
}
