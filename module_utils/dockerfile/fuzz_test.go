package dockerfile

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDockerfileParse feeds Parse arbitrary Dockerfiles and targets: it never
// panics, and what it returns holds together - each image once, by a
// canonical name that parses to itself, at a line of the file.
func FuzzDockerfileParse(f *testing.F) {
	for _, seed := range []struct{ src, target string }{
		{"FROM busybox\n", ""},
		{"# escape=`\nARG BASE=quay.io/o/i\nFROM ${BASE:-x}:${TAG-1} AS build\nRUN echo `\n  hi\nFROM build\nCOPY --from=0 / /\n", "build"},
		{"ARG A=1 B=\"2 3\"\nfrom --platform=$BUILDPLATFORM busybox:$A as one\ncopy --from=alpine:$B /a /b\n", ""},
		{"FROM scratch\nRUN --mount=type=cache,from=one,target=/c --mount=from=quay.io/a/b,target=/d true\n", ""},
		{"FROM busybox\nRUN <<EOF\nFROM nope\nEOF\nCOPY <<-\"A\" <<'B' /d/\n\tx\n\tA\nB\nFROM alpine AS Final\n", "final"},
		{"\ufeffFROM \\\n# c\n\n busybox@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b\r\n", ""},
		{"FROM ${X:?}\n", ""},
		{"FROM ${A:+${B:-'c}'}}\n", ""},
		{"FROM a\nRUN <<EOF\n", ""},
		{"ARG\nFROM\n", "x"},
		{"FROM a AS b\nFROM b AS c\nCOPY --from=c --from=\"d e\" / /\n", "c"},
	} {
		f.Add(seed.src, seed.target)
	}
	f.Fuzz(func(t *testing.T, src, target string) {
		if len(src) > 1<<10 {
			// Longer inputs reach no other code; they only slow the
			// minimization of what they cover.
			return
		}
		images, err := Parse(strings.NewReader(src), "Dockerfile", WithTarget(target),
			WithBuildArgs(map[string]string{"TAG": "1", "BASE": "busybox"}))
		if err != nil {
			require.Nil(t, images)
			return
		}
		lines := strings.Count(src, "\n") + 1
		seen := map[string]bool{}
		for _, img := range images {
			c := img.Canonical()
			require.False(t, seen[c], "%s twice", c)
			seen[c] = true
			again, err := NewImage(c)
			require.NoError(t, err, c)
			require.Equal(t, c, again.Canonical())
			require.NotEmpty(t, img.Location())
			require.True(t, img.Line >= 1 && img.Line <= lines, "line %d of %d", img.Line, lines)
		}
	})
}
