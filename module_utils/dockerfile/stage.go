package dockerfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// stage is a FROM and the instructions after it.
type stage struct {
	line int
	base string // the image as written, before expansion
	name string // lower case; "" when unnamed
	body []instruction
}

// parser holds what one Parse has found.
type parser struct {
	o      *options
	escape rune
	stages []stage
	images []Image
	seen   map[string]bool // canonical names
}

// stageName is what a stage may be called (after lowering its case).
var stageName = regexp.MustCompile(`^[a-z][a-z0-9-_.]*$`)

// stagesOf groups the instructions into the global ARGs before the first
// FROM and the stages.
func stagesOf(ins []instruction) (meta []instruction, stages []stage, err error) {
	for _, in := range ins {
		if in.command == "from" {
			st, err := fromStage(in)
			if err != nil {
				return nil, nil, err
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if in.command != "arg" {
				return nil, nil, at(in.line, "%s before the first FROM: only ARG may come before it", strings.ToUpper(in.command))
			}
			meta = append(meta, in)
			continue
		}
		last := &stages[len(stages)-1]
		last.body = append(last.body, in)
	}
	if len(stages) == 0 {
		return nil, nil, &Error{Err: ErrNoStage}
	}
	return meta, stages, nil
}

// fromStage reads FROM [--flags] image [AS name].
func fromStage(in instruction) (stage, error) {
	words := strings.Fields(in.args)
	st := stage{line: in.line}
	switch {
	case len(words) == 0:
		return st, at(in.line, "FROM needs an image")
	case len(words) == 3 && strings.EqualFold(words[1], "as"):
		st.name = strings.ToLower(words[2])
		if !stageName.MatchString(st.name) {
			return st, at(in.line, "FROM %s: stage name %q: want a letter, then letters, digits, -, _ or .", in.args, words[2])
		}
	case len(words) != 1:
		return st, at(in.line, "FROM %s: want an image, optionally followed by AS <name>", in.args)
	}
	st.base = words[0]
	return st, nil
}

// target is the index of the stage named name (the last one so named, as
// BuildKit takes it).
func target(stages []stage, name string) (int, error) {
	var names []string
	for i := len(stages) - 1; i >= 0; i-- {
		if stages[i].name == strings.ToLower(name) {
			return i, nil
		}
		if stages[i].name != "" {
			names = append(names, stages[i].name)
		}
	}
	slices.Reverse(names)
	have := "no stage is named"
	if len(names) > 0 {
		have = "the stages are " + strings.Join(names, ", ")
	}
	return 0, &Error{Err: fmt.Errorf("target %q: %w (%s)", name, ErrUnknownTarget, have)}
}

// platformArgs are BuildKit's automatic platform arguments, for the
// platform of the host: build and target are the same.
func platformArgs() map[string]string {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	vars := map[string]string{}
	for _, p := range []string{"BUILD", "TARGET"} {
		vars[p+"PLATFORM"] = platform
		vars[p+"OS"] = runtime.GOOS
		vars[p+"ARCH"] = runtime.GOARCH
		vars[p+"VARIANT"] = ""
	}
	return vars
}

// arg is one NAME[=value] of an ARG instruction, the value unexpanded.
type arg struct {
	name, value string
	hasValue    bool
}

func (p *parser) args(in instruction) ([]arg, error) {
	words := fields(in.args, p.escape)
	if len(words) == 0 {
		return nil, at(in.line, "ARG needs a name")
	}
	out := make([]arg, 0, len(words))
	for _, w := range words {
		var a arg
		a.name, a.value, a.hasValue = strings.Cut(w, "=")
		if a.name == "" {
			return nil, at(in.line, "ARG %s: no name before the =", w)
		}
		out = append(out, a)
	}
	return out, nil
}

// globals is the scope of FROM: the platform arguments, then the ARGs
// before the first FROM, each a build argument or else its default
// (expanded in the scope so far). A declared ARG without either is empty,
// unless it names a platform argument.
func (p *parser) globals(meta []instruction) (map[string]string, error) {
	vars := platformArgs()
	for k := range vars {
		if v, ok := p.o.buildArgs[k]; ok {
			vars[k] = v
		}
	}
	for _, in := range meta {
		args, err := p.args(in)
		if err != nil {
			return nil, err
		}
		for _, a := range args {
			if v, ok := p.o.buildArgs[a.name]; ok {
				vars[a.name] = v
				continue
			}
			if !a.hasValue {
				if _, ok := vars[a.name]; !ok {
					vars[a.name] = ""
				}
				continue
			}
			v, err := expand(a.value, p.escape, vars)
			if err != nil {
				return nil, at(in.line, "ARG %s: %w", a.name, err)
			}
			vars[a.name] = v
		}
	}
	return vars, nil
}

// stage reads stage i: its FROM in the global scope, its COPY --from and
// RUN --mount from= in the scope of its own ARGs.
func (p *parser) stage(i int, global map[string]string) error {
	st := p.stages[i]
	base, err := expand(st.base, p.escape, global)
	if err != nil {
		return at(st.line, "FROM %s: %w", st.base, err)
	}
	if base == "" {
		return at(st.line, "FROM %s: the image name is empty after expansion", st.base)
	}
	if err := p.source(i, st.line, "FROM", base, true); err != nil {
		return err
	}
	vars := map[string]string{}
	for _, in := range st.body {
		switch in.command {
		case "arg":
			if err := p.stageArgs(in, global, vars); err != nil {
				return err
			}
		case "copy":
			for _, from := range in.flag("from") {
				v, err := expand(from, p.escape, vars)
				if err != nil {
					return at(in.line, "COPY --from=%s: %w", from, err)
				}
				if err := p.source(i, in.line, "COPY --from", v, false); err != nil {
					return err
				}
			}
		case "run":
			for _, mount := range in.flag("mount") {
				from, ok, err := mountFrom(mount)
				if err != nil {
					return at(in.line, "RUN --mount=%s: %w", mount, err)
				}
				if !ok {
					continue
				}
				v, err := expand(from, p.escape, vars)
				if err != nil {
					return at(in.line, "RUN --mount from=%s: %w", from, err)
				}
				if err := p.source(i, in.line, "RUN --mount from", v, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// stageArgs adds the ARGs of a stage to its scope: a build argument, else
// the default expanded in the scope so far, else the global value.
func (p *parser) stageArgs(in instruction, global, vars map[string]string) error {
	args, err := p.args(in)
	if err != nil {
		return err
	}
	for _, a := range args {
		if v, ok := p.o.buildArgs[a.name]; ok {
			vars[a.name] = v
			continue
		}
		if a.hasValue {
			v, err := expand(a.value, p.escape, vars)
			if err != nil {
				return at(in.line, "ARG %s: %w", a.name, err)
			}
			vars[a.name] = v
			continue
		}
		if v, ok := global[a.name]; ok {
			vars[a.name] = v
		}
	}
	return nil
}

// mountFrom reads the from= of a --mount value (CSV of key=value).
func mountFrom(mount string) (string, bool, error) {
	fields, err := csv.NewReader(strings.NewReader(mount)).Read()
	if errors.Is(err, io.EOF) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	for _, f := range fields {
		if k, v, ok := strings.Cut(f, "="); ok && strings.ToLower(strings.TrimSpace(k)) == "from" {
			return v, true, nil
		}
	}
	return "", false, nil
}

// source records what stage i builds from or copies from, named v (after
// expansion) on line: scratch, a stage, or an external image. FROM takes
// stages by the names of earlier stages only; the others take a name of
// any stage, or the index of an earlier one.
func (p *parser) source(i, line int, what, v string, from bool) error {
	if v == "scratch" {
		return nil
	}
	lower := strings.ToLower(v)
	for j, st := range p.stages {
		if st.name != "" && st.name == lower && (j < i || !from) {
			return nil
		}
	}
	if !from {
		if n, err := strconv.Atoi(v); err == nil {
			if n < 0 || n >= i {
				return at(line, "%s=%s: no stage %d before this one (stage %d)", what, v, n, i)
			}
			return nil
		}
	}
	img, err := NewImage(v)
	if err != nil {
		return at(line, "%s %s: %w", what, v, err)
	}
	img.Line = line
	if key := img.Canonical(); !p.seen[key] {
		p.seen[key] = true
		p.images = append(p.images, img)
	}
	return nil
}
