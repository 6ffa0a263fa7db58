package dockerfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const digest = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"

// canonicals parses src and returns the canonical names of its images.
func canonicals(t *testing.T, src string, opts ...Option) []string {
	t.Helper()
	images, err := Parse(strings.NewReader(src), "Dockerfile", opts...)
	require.NoError(t, err)
	names := []string{}
	for _, img := range images {
		names = append(names, img.Canonical())
	}
	return names
}

func TestParseImages(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  string
		opts []Option
		want []string
	}{
		{"one FROM", "FROM busybox\n", nil, []string{"docker.io/library/busybox:latest"}},
		{"no final newline", "FROM quay.io/org/img:1", nil, []string{"quay.io/org/img:1"}},
		{"instructions in any case",
			"from busybox As Build\ncOpY --from=BUILD /a /b\nCopy --from=alpine:3 /c /d\n", nil,
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:3"}},
		{"comments and empty lines",
			"# comment\n\n   # indented comment\n\t\nFROM busybox\n  # after\n", nil, []string{"docker.io/library/busybox:latest"}},
		{"continuation",
			"FROM \\\n  example/base:1 \\\n  AS build\nFROM build\n", nil, []string{"docker.io/example/base:1"}},
		{"continuation skips comment and empty lines",
			"FROM \\\n# a comment\n\n   \n  example/base:1\n", nil, []string{"docker.io/example/base:1"}},
		{"continuation with blanks after the backslash",
			"FROM \\  \t\n busybox\n", nil, []string{"docker.io/library/busybox:latest"}},
		{"escape directive",
			"# escape=`\nFROM `\n  busybox\nCOPY c:\\src d:\\dest\nRUN echo `\nFROM alpine\n", nil,
			[]string{"docker.io/library/busybox:latest"}},
		{"escape directive in any case and spacing",
			"#  ESCAPE = ` \n# syntax=docker/dockerfile:1\nFROM `\n  busybox\n", nil,
			[]string{"docker.io/library/busybox:latest"}},
		{"directive after a comment is a comment",
			"# hello\n# escape=`\nFROM busybox\nRUN echo `\nFROM alpine\n", nil,
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:latest"}},
		{"directive after an unknown directive is a comment",
			"# foo=bar\n# escape=`\nFROM busybox\nRUN echo `\nFROM alpine\n", nil,
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:latest"}},
		{"directive after an empty line is a comment",
			"\n# escape=`\nFROM busybox\nRUN echo `\nFROM alpine\n", nil,
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:latest"}},
		{"CRLF and a byte order mark",
			"\ufeff# escape=`\r\nFROM `\r\n  busybox\r\nFROM quay.io/a/b:c\r\n", nil,
			[]string{"docker.io/library/busybox:latest", "quay.io/a/b:c"}},
		{"global ARG with defaults",
			"ARG REGISTRY=quay.io\nARG IMAGE=${REGISTRY}/org/img\nARG TAG=\"1.2\"\nFROM $IMAGE:${TAG}\n", nil,
			[]string{"quay.io/org/img:1.2"}},
		{"several ARGs on one line",
			"ARG A=example B=base\nFROM $A/$B\n", nil, []string{"docker.io/example/base:latest"}},
		{"build args override defaults",
			"ARG TAG=1\nFROM busybox:$TAG\n", []Option{WithBuildArgs(map[string]string{"TAG": "2"})},
			[]string{"docker.io/library/busybox:2"}},
		{"a build arg without an ARG is ignored",
			"FROM busybox${TAG:+:$TAG}\n", []Option{WithBuildArgs(map[string]string{"TAG": "2"})},
			[]string{"docker.io/library/busybox:latest"}},
		{"ARG without a default takes the build arg",
			"ARG TAG\nFROM busybox:${TAG:-none}\n", []Option{WithBuildArgs(map[string]string{"TAG": "9"})},
			[]string{"docker.io/library/busybox:9"}},
		{"ARG without a default nor build arg is empty",
			"ARG TAG\nFROM busybox:${TAG:-none}\n", nil, []string{"docker.io/library/busybox:none"}},
		{"default and alternative forms",
			"ARG EMPTY=\nARG SET=x\nFROM a${UNSET:-1}${EMPTY:-2}${UNSET-3}${EMPTY-4}${SET:+5}${EMPTY:+6}${EMPTY+7}${UNSET+8}${SET:?no}\n", nil,
			[]string{"docker.io/library/a12357x:latest"}},
		{"automatic platform arguments",
			"FROM --platform=$BUILDPLATFORM golang:1 AS build\nFROM example/${TARGETOS}-${TARGETARCH}\n", nil,
			[]string{"docker.io/library/golang:1", "docker.io/example/" + runtime.GOOS + "-" + runtime.GOARCH + ":latest"}},
		{"platform argument as a build arg",
			"FROM example/${TARGETARCH}\n", []Option{WithBuildArgs(map[string]string{"TARGETARCH": "arm64"})},
			[]string{"docker.io/example/arm64:latest"}},
		{"quotes and escapes in FROM",
			"ARG T=1\nFROM \"busybox:$T\"\nFROM 'alpine:3'\nFROM quay.io/o/\\i:$T\n", nil,
			[]string{"docker.io/library/busybox:1", "docker.io/library/alpine:3", "quay.io/o/i:1"}},
		{"stage ARG in COPY --from",
			"FROM scratch\nARG SRC=quay.io/x/y:1\nCOPY --from=$SRC /a /b\n", nil, []string{"quay.io/x/y:1"}},
		{"stage ARG inherits the global value",
			"ARG V=1.36\nFROM scratch\nARG V\nCOPY --from=busybox:$V /bin/busybox /bin/\n", nil,
			[]string{"docker.io/library/busybox:1.36"}},
		{"global ARG is not seen in a stage without one",
			"ARG V=1.36\nFROM scratch\nCOPY --from=busybox:${V:-none} /bin/busybox /bin/\n", nil,
			[]string{"docker.io/library/busybox:none"}},
		{"stage ARG takes the build arg",
			"FROM scratch\nARG V=1\nCOPY --from=busybox:$V / /\n", []Option{WithBuildArgs(map[string]string{"V": "2"})},
			[]string{"docker.io/library/busybox:2"}},
		{"stage ARG default sees earlier stage ARGs",
			"FROM scratch\nARG R=quay.io\nARG I=$R/o/i\nRUN --mount=from=$I,target=/x true\n", nil,
			[]string{"quay.io/o/i:latest"}},
		{"stage ARGs end with the stage",
			"FROM scratch\nARG V=1\nFROM scratch\nCOPY --from=busybox:${V:-none} / /\n", nil,
			[]string{"docker.io/library/busybox:none"}},
		{"stages by name in any case, scratch",
			"FROM scratch AS base\nFROM base AS Build\nFROM BUILD\nCOPY --from=Base / /\nCOPY --from=scratch / /\n", nil, nil},
		{"FROM a later stage's name is an image",
			"FROM later AS first\nFROM busybox AS later\n", nil,
			[]string{"docker.io/library/later:latest", "docker.io/library/busybox:latest"}},
		{"COPY --from a stage index",
			"FROM busybox\nFROM alpine\nCOPY --from=0 / /\nCOPY --from=1x / /\n", nil,
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:latest", "docker.io/library/1x:latest"}},
		{"COPY --from quoted, after other flags",
			"FROM scratch\nCOPY --chown=0:0 --from=\"quay.io/a/b:1\" --link / /\n", nil, []string{"quay.io/a/b:1"}},
		{"ADD has no --from",
			"FROM scratch\nADD --from=busybox / /\nADD --chown=1 https://example.com/x /x\n", nil, nil},
		{"RUN --mount from images and stages",
			"FROM busybox AS build\nFROM scratch\n" +
				"RUN --mount=type=cache,from=build,target=/c --mount=type=bind,from=alpine:3,source=/,target=/a \\\n" +
				"    --mount=type=secret,id=x --mount=type=bind,\"from=quay.io/o/i:2\",target=/b true\n", nil,
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:3", "quay.io/o/i:2"}},
		{"RUN --mount from a stage index",
			"FROM busybox\nFROM scratch\nRUN --mount=from=0,target=/x true\n", nil, []string{"docker.io/library/busybox:latest"}},
		{"ONBUILD is not this build",
			"FROM scratch\nONBUILD COPY --from=busybox / /\n", nil, nil},
		{"each image once, in order",
			"FROM busybox AS a\nFROM docker.io/library/busybox:latest AS b\nFROM alpine\nCOPY --from=index.docker.io/library/busybox / /\nCOPY --from=busybox:1 / /\n", nil,
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:latest", "docker.io/library/busybox:1"}},
		{"digest references",
			"FROM busybox@" + digest + "\nFROM busybox:1.36@" + digest + "\nFROM quay.io/o/i@" + digest + "\n", nil,
			[]string{"docker.io/library/busybox@" + digest, "quay.io/o/i@" + digest}},
		{"target stops the stages",
			"FROM busybox AS build\nFROM alpine AS Final\nCOPY --from=build / /\nFROM quay.io/o/later\n",
			[]Option{WithTarget("final")},
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:latest"}},
		{"target is the first stage",
			"FROM busybox AS build\nFROM alpine\n", []Option{WithTarget("BUILD")}, []string{"docker.io/library/busybox:latest"}},
		{"heredoc bodies are skipped",
			"FROM busybox\nRUN <<EOF\nFROM alpine\nCOPY --from=quay.io/x/y /a /b\nEOF\nCOPY <<-\"END\" <<'two' /dest/\n\tFROM nope1\n\tEND\nFROM nope2\ntwo\nADD <<EOF /x\nFROM nope3\nEOF\nFROM quay.io/after/heredocs\n", nil,
			[]string{"docker.io/library/busybox:latest", "quay.io/after/heredocs:latest"}},
		{"heredoc after a continuation",
			"FROM busybox\nRUN --mount=type=cache,target=/c \\\n  cat <<EOF > /x\nFROM nope\nEOF\nFROM alpine\n", nil,
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:latest"}},
		{"heredoc terminator indented without <<- is not one",
			"FROM busybox\nRUN <<EOF\n  EOF\nFROM nope\nEOF\nFROM alpine\n", nil,
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:latest"}},
		{"no heredoc in ENV, quotes or here-strings",
			"FROM busybox\nENV A=<<EOF\nRUN echo \"<<EOF\" && cat <<<word\nFROM alpine\n", nil,
			[]string{"docker.io/library/busybox:latest", "docker.io/library/alpine:latest"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := canonicals(t, tt.src, tt.opts...)
			if tt.want == nil {
				tt.want = []string{}
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  string
		opts []Option
		line int
		want string
		is   error
	}{
		{"FROM without an image", "ARG A\nFROM\n", nil, 2, "FROM needs an image", nil},
		{"FROM with only flags", "FROM --platform=linux/amd64\n", nil, 1, "FROM needs an image", nil},
		{"FROM with two words", "FROM busybox alpine\n", nil, 1, "want an image, optionally followed by AS <name>", nil},
		{"FROM with a comment after it", "FROM busybox # base\n", nil, 1, "want an image", nil},
		{"FROM AS without a name", "FROM busybox AS\n", nil, 1, "want an image", nil},
		{"bad stage name", "FROM busybox AS 1st\n", nil, 1, `stage name "1st"`, nil},
		{"bad reference", "FROM busybox\nFROM Quay.io/Org/Img\n", nil, 2, `FROM Quay.io/Org/Img: image reference "Quay.io/Org/Img"`, nil},
		{"bad reference after expansion", "ARG T=\"a b\"\nFROM busybox:${T}\n", nil, 2, `image reference "busybox:a b"`, nil},
		{"single quotes keep the dollar", "FROM 'busybox:$T'\n", nil, 1, `image reference "busybox:$T"`, nil},
		{"empty after expansion", "ARG BASE\n\nFROM $BASE\n", nil, 3, "FROM $BASE: the image name is empty after expansion", nil},
		{"required variable unset", "FROM ${BASE:?unset}\n", nil, 1, "BASE: unset", ErrSubstitution},
		{"required variable unset, no message", "FROM ${BASE?}\n", nil, 1, "BASE: is not allowed to be unset", ErrSubstitution},
		{"unsupported substitution", "ARG B=busybox:1\nFROM ${B%:*}\n", nil, 2, "is not supported", ErrSubstitution},
		{"missing brace", "FROM ${BASE\n", nil, 1, "missing '}'", ErrSubstitution},
		{"missing quote", "FROM \"busybox\n", nil, 1, "missing closing", ErrSubstitution},
		{"bad ARG default", "ARG A=${\nFROM busybox\n", nil, 1, "ARG A:", ErrSubstitution},
		{"ARG without a name", "ARG =x\nFROM busybox\n", nil, 1, "no name before the =", nil},
		{"bad stage ARG default", "FROM busybox\nARG A=${B:?}\n", nil, 2, "ARG A:", ErrSubstitution},
		{"bad COPY --from", "FROM busybox\nCOPY --from=Bad /a /b\n", nil, 2, `COPY --from Bad: image reference "Bad"`, nil},
		{"COPY --from a later stage index", "FROM busybox\nCOPY --from=0 /a /b\n", nil, 2, "COPY --from=0: no stage 0 before this one", nil},
		{"COPY --from a negative index", "FROM busybox\nFROM alpine\nCOPY --from=-1 /a /b\n", nil, 3, "no stage -1", nil},
		{"bad mount", "FROM busybox\nRUN --mount=type=bind,from=a\\\"b true\n", nil, 2, `RUN --mount=type=bind,from=a"b: parse error`, nil},
		{"bad mount source", "FROM busybox\nRUN --mount=from=UPPER true\n", nil, 2, `RUN --mount from UPPER: image reference`, nil},
		{"instruction before FROM", "ARG A=1\nRUN true\nFROM busybox\n", nil, 2, "RUN before the first FROM", nil},
		{"no FROM", "# only a comment\nARG A=1\n", nil, 0, "no FROM instruction", ErrNoStage},
		{"empty", "", nil, 0, "no FROM instruction", ErrNoStage},
		{"unknown target", "FROM busybox AS build\nFROM alpine AS final\nFROM scratch\n", []Option{WithTarget("test")}, 0,
			`target "test": no stage has that name (the stages are build, final)`, ErrUnknownTarget},
		{"target without named stages", "FROM busybox\n", []Option{WithTarget("x")}, 0, "no stage is named", ErrUnknownTarget},
		{"unterminated heredoc", "FROM busybox\nRUN <<EOF\nFROM alpine\n", nil, 2, "unterminated heredoc: no line \"EOF\" ends <<EOF", nil},
		{"two escape directives", "# escape=`\n# escape=\\\nFROM busybox\n", nil, 2, "only one escape parser directive", nil},
		{"bad escape directive", "# escape=x\nFROM busybox\n", nil, 1, `escape directive "x"`, nil},
		{"build arg without a name", "FROM busybox\n", []Option{WithBuildArgs(map[string]string{"": "x"})}, 0, "a build argument without a name", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			images, err := Parse(strings.NewReader(tt.src), "/src/Dockerfile", tt.opts...)
			require.Error(t, err)
			require.Nil(t, images)
			require.Contains(t, err.Error(), tt.want)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			var e *Error
			if tt.name == "build arg without a name" {
				require.False(t, errors.As(err, &e))
				return
			}
			require.ErrorAs(t, err, &e)
			require.Equal(t, "/src/Dockerfile", e.File)
			require.Equal(t, tt.line, e.Line)
			if tt.line > 0 {
				require.True(t, strings.HasPrefix(err.Error(), "Dockerfile /src/Dockerfile, line "), err.Error())
			} else {
				require.True(t, strings.HasPrefix(err.Error(), "Dockerfile /src/Dockerfile: "), err.Error())
			}
		})
	}
}

func TestParseImageFields(t *testing.T) {
	src := "ARG BASE=gating/speculative-base\nFROM $BASE AS build\n\nFROM quay.io/gating/other:3.0\nCOPY --from=build / /\n" +
		"COPY --from=busybox@" + digest + " / /\n"
	images, err := Parse(strings.NewReader(src), "Dockerfile")
	require.NoError(t, err)
	require.Equal(t, []Image{
		{Name: "gating/speculative-base", Line: 2, Registry: "docker.io", Repository: "gating/speculative-base", Tag: "latest"},
		{Name: "quay.io/gating/other:3.0", Line: 4, Registry: "quay.io", Repository: "gating/other", Tag: "3.0"},
		{Name: "busybox@" + digest, Line: 6, Registry: "docker.io", Repository: "library/busybox", Digest: digest},
	}, images)
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	require.NoError(t, os.WriteFile(path, []byte("FROM busybox\n"), 0o644))
	images, err := ParseFile(path)
	require.NoError(t, err)
	require.Len(t, images, 1)

	_, err = ParseFile(filepath.Join(dir, "missing", "Dockerfile"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Contains(t, err.Error(), filepath.Join(dir, "missing", "Dockerfile"))

	require.NoError(t, os.WriteFile(path, []byte("FROM\n"), 0o644))
	_, err = ParseFile(path)
	require.EqualError(t, err, "Dockerfile "+path+", line 1: FROM needs an image")
}

func TestParseTooLarge(t *testing.T) {
	_, err := Parse(strings.NewReader("FROM busybox\n"+strings.Repeat("#", MaxSize)), "big")
	require.ErrorContains(t, err, "Dockerfile big: larger than")
}

func TestBuildArgs(t *testing.T) {
	env := map[string]string{"FROM_ENV": "env value", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	got, err := BuildArgs([]string{"A=1", "B=", "C=x=y", "FROM_ENV", "EMPTY", "NOT_SET", "A=2"}, lookup)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"A": "2", "B": "", "C": "x=y", "FROM_ENV": "env value", "EMPTY": ""}, got)

	_, err = BuildArgs([]string{"=x"}, lookup)
	require.EqualError(t, err, `build argument "=x": no name before the =`)
	got, err = BuildArgs(nil, lookup)
	require.NoError(t, err)
	require.Empty(t, got)
}
