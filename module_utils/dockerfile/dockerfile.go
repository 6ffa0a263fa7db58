package dockerfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxSize bounds the Dockerfiles Parse reads.
const MaxSize = 16 << 20

// Error is a Dockerfile that cannot be read for its images: the file, the
// line (0 for the whole file) and why.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("Dockerfile %s, line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("Dockerfile %s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// at is an *Error at line of a file named later.
func at(line int, format string, args ...any) *Error {
	return &Error{Line: line, Err: fmt.Errorf(format, args...)}
}

// ErrNoStage marks a Dockerfile without a FROM.
var ErrNoStage = errors.New("no FROM instruction: nothing to build")

// ErrUnknownTarget marks a target no stage is named after.
var ErrUnknownTarget = errors.New("no stage has that name")

// ParseFile is Parse of the file at path.
func ParseFile(path string, opts ...Option) ([]Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading Dockerfile: %w", err)
	}
	defer f.Close()
	return Parse(f, path, opts...)
}

// Parse reads a Dockerfile from r and returns the external images the
// stages up to the target (by default the last stage) build from - FROM,
// COPY --from and RUN --mount from= - each once, in the order of its
// first appearance. file names the Dockerfile in errors. A malformed
// Dockerfile returns an *Error.
func Parse(r io.Reader, file string, opts ...Option) ([]Image, error) {
	o, err := build(opts)
	if err != nil {
		return nil, fmt.Errorf("dockerfile: %w", err)
	}
	src, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, &Error{File: file, Err: err}
	}
	if len(src) > MaxSize {
		return nil, &Error{File: file, Err: fmt.Errorf("larger than %d bytes", MaxSize)}
	}
	images, err := parse(string(src), o)
	var e *Error
	if errors.As(err, &e) {
		e.File = file
	}
	return images, err
}

func parse(src string, o *options) ([]Image, error) {
	ins, escape, err := lex(src)
	if err != nil {
		return nil, err
	}
	meta, stages, err := stagesOf(ins)
	if err != nil {
		return nil, err
	}
	last := len(stages) - 1
	if o.target != "" {
		if last, err = target(stages, o.target); err != nil {
			return nil, err
		}
	}
	p := &parser{o: o, escape: escape, stages: stages, seen: map[string]bool{}}
	global, err := p.globals(meta)
	if err != nil {
		return nil, err
	}
	for i := 0; i <= last; i++ {
		if err := p.stage(i, global); err != nil {
			return nil, err
		}
	}
	return p.images, nil
}
