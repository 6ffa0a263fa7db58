// Package dockerfile lists the external images a Dockerfile builds from, so
// that a build can be pointed at the speculative ones first.
//
// It reads a Dockerfile the way docker's builders do, as far as base images
// are concerned:
//
//   - parser directives at the top (`# escape=` with a backslash or a
//     backtick, `# syntax=`, `# check=`), comments, empty lines, line
//     continuations (comment and empty lines inside them skipped) and
//     instructions in any case;
//   - heredocs (`<<EOF`, `<<-EOF`, quoted names) in RUN, COPY and ADD: their
//     bodies are skipped, never read as instructions;
//   - ARG before the first FROM (the global scope: defaults expanded in
//     order, build arguments winning over defaults), BuildKit's automatic
//     platform arguments (TARGETARCH, BUILDPLATFORM, ... of the host), and
//     ARG inside a stage (a build argument, else its default, else the
//     global value of that name);
//   - variables in FROM (global scope) and in COPY --from and
//     RUN --mount=...,from= (the stage's ARGs): $NAME, ${NAME} and
//     ${NAME:-word}, ${NAME-word}, ${NAME:+word}, ${NAME+word},
//     ${NAME:?message}, ${NAME?message}, with quotes and escapes;
//   - `FROM [--platform=...] image [AS name]`: a name of an earlier stage
//     (in any case) is that stage, `scratch` is no image, anything else is
//     an image; COPY --from and RUN --mount from= take a stage name or, a
//     number, the index of an earlier stage;
//   - a target stage: only the stages up to and including it count.
//
// Every image is parsed with go-containerregistry's name package and
// reported once, in the order of its first appearance, with its canonical
// name, the short name docker gives a local image, and its repository in
// the buildset registry (see Image). A FROM without an image, or a name
// that is not an image reference after expansion, is an *Error naming the
// file and the line.
//
// What it does not know: ENV values and the environment of base images
// (variables in COPY --from and mount sources come from ARGs only), and the
// `${NAME#pattern}` family of substitutions, which is an error.
package dockerfile
