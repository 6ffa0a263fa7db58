package dockerfile

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// instruction is one instruction of a Dockerfile: its continuation lines
// joined, comment lines inside it dropped, heredoc bodies after it skipped.
type instruction struct {
	line    int      // where it starts, from 1
	command string   // lower case: from, arg, copy, run...
	flags   []string // the leading --flags, without the dashes, quotes removed
	args    string   // the rest of the line
}

// flag returns the values of the flags called name (--name=value), in order.
// A flag written without a value has none.
func (in instruction) flag(name string) []string {
	var values []string
	for _, f := range in.flags {
		if n, v, ok := strings.Cut(f, "="); ok && n == name {
			values = append(values, v)
		}
	}
	return values
}

// heredocCommands are the instructions whose lines may open heredocs.
var heredocCommands = map[string]bool{"run": true, "copy": true, "add": true}

// directive is a parser directive line: `# name=value`.
var directive = regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`)

// knownDirectives are the directives the builders read; any other comment
// ends the directives.
var knownDirectives = map[string]bool{"syntax": true, "escape": true, "check": true}

// lex splits a Dockerfile into instructions and returns them with its
// escape character. Its errors are *Error with a line.
func lex(src string) ([]instruction, rune, error) {
	src = strings.TrimPrefix(src, "\ufeff")
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	escape, err := directives(lines)
	if err != nil {
		return nil, 0, err
	}

	var out []instruction
	for i := 0; i < len(lines); {
		start := i + 1
		first := trimLeft(lines[i])
		i++
		if isComment(first) {
			continue
		}
		var b strings.Builder
		part, more := trimContinuation(first, escape)
		b.WriteString(part)
		for more && i < len(lines) {
			next := lines[i]
			i++
			if isComment(trimLeft(next)) {
				continue // comment and empty lines do not end an instruction
			}
			part, more = trimContinuation(next, escape)
			b.WriteString(part)
		}
		text := strings.TrimSpace(b.String())
		if text == "" {
			continue
		}
		in := split(text)
		in.line = start
		if heredocCommands[in.command] && strings.Contains(text, "<<") {
			for _, h := range heredocs(text) {
				if i, err = skipHeredoc(lines, i, h); err != nil {
					return nil, 0, &Error{Line: start, Err: err}
				}
			}
		}
		out = append(out, in)
	}
	return out, escape, nil
}

// directives reads the parser directives at the top and returns the escape
// character they set.
func directives(lines []string) (rune, error) {
	escape := '\\'
	seen := map[string]bool{}
	for i, l := range lines {
		m := directive.FindStringSubmatch(trimLeft(l))
		if m == nil {
			break
		}
		key := strings.ToLower(m[1])
		if !knownDirectives[key] {
			break
		}
		if seen[key] {
			return 0, &Error{Line: i + 1, Err: fmt.Errorf("only one %s parser directive can be used", key)}
		}
		seen[key] = true
		if key != "escape" {
			continue
		}
		switch m[2] {
		case "\\":
			escape = '\\'
		case "`":
			escape = '`'
		default:
			return 0, &Error{Line: i + 1, Err: fmt.Errorf("escape directive %q: the escape character is \\ or `", m[2])}
		}
	}
	return escape, nil
}

// isBlank tells an ASCII blank: flags are read byte by byte.
func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func trimLeft(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }

// isComment tells a comment (or empty) line, already trimmed on the left.
func isComment(s string) bool { return s == "" || s[0] == '#' }

// trimContinuation removes the escape character (and blanks after it) that
// continues a line on the next one.
func trimContinuation(line string, escape rune) (string, bool) {
	t := strings.TrimRight(line, " \t")
	if strings.HasSuffix(t, string(escape)) {
		return t[:len(t)-utf8.RuneLen(escape)], true
	}
	return line, false
}

// split separates an instruction's command, its leading --flags and the
// rest, as BuildKit does: flag words may be quoted, a backslash escapes
// one character, and a bare -- ends the flags.
func split(text string) instruction {
	command, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		command, rest = text[:i], text[i:]
	}
	in := instruction{command: strings.ToLower(command)}
	s := rest
	for {
		s = trimLeft(s)
		if !strings.HasPrefix(s, "--") {
			in.args = s
			return in
		}
		var w strings.Builder
		var quote byte
		j := 0
		for ; j < len(s); j++ {
			c := s[j]
			if quote == 0 && isBlank(c) {
				break
			}
			switch {
			case quote != 0 && c == quote:
				quote = 0
				continue
			case quote == 0 && (c == '\'' || c == '"'):
				quote = c
				continue
			case c == '\\':
				if j+1 == len(s) {
					continue
				}
				j++
				c = s[j]
			}
			w.WriteByte(c)
		}
		s = s[j:]
		if w.String() == "--" {
			in.args = trimLeft(s)
			return in
		}
		in.flags = append(in.flags, strings.TrimPrefix(w.String(), "--"))
	}
}

// fields splits s into words at blanks outside quotes, keeping the quotes
// and escapes in the words (BuildKit's parseWords, for ARG and heredocs).
func fields(s string, escape rune) []string {
	var (
		words []string
		w     strings.Builder
		in    bool
		quote rune
	)
	r := []rune(s)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case quote != 0:
			if c == escape && quote != '\'' && i+1 < len(r) {
				w.WriteRune(c)
				i++
				c = r[i]
			} else if c == quote {
				quote = 0
			}
			w.WriteRune(c)
		case unicode.IsSpace(c):
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		case c == escape:
			if i+1 < len(r) {
				in = true
				w.WriteRune(c)
				i++
				w.WriteRune(r[i])
			}
		default:
			in = true
			if c == '\'' || c == '"' {
				quote = c
			}
			w.WriteRune(c)
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// heredoc is a here-document an instruction opens: the body ends at a line
// that is exactly name (after leading tabs with <<-).
type heredoc struct {
	name  string
	chomp bool
}

// heredocWord is a word that opens a heredoc: [fd]<<[-]NAME.
var heredocWord = regexp.MustCompile(`^(\d*)<<(-?)([^<]*)$`)

// heredocs lists the heredocs an instruction's line opens, in order.
func heredocs(line string) []heredoc {
	var out []heredoc
	for _, w := range fields(line, '\\') {
		m := heredocWord.FindStringSubmatch(w)
		if m == nil || m[3] == "" {
			continue
		}
		name, err := expand(m[3], '\\', nil)
		if err != nil || name == "" {
			continue
		}
		out = append(out, heredoc{name: name, chomp: m[2] == "-"})
	}
	return out
}

// errUnterminated marks a heredoc whose terminator never comes.
var errUnterminated = errors.New("unterminated heredoc")

// skipHeredoc skips the body of h starting at lines[i] and returns the
// index of the line after its terminator.
func skipHeredoc(lines []string, i int, h heredoc) (int, error) {
	for ; i < len(lines); i++ {
		l := lines[i]
		if h.chomp {
			l = strings.TrimLeft(l, "\t")
		}
		if l == h.name {
			return i + 1, nil
		}
	}
	return i, fmt.Errorf("%w: no line %q ends <<%s", errUnterminated, h.name, h.name)
}
