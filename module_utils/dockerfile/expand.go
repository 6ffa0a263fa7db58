package dockerfile

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrSubstitution marks a variable reference expand cannot read: a bad or
// unsupported substitution, a missing brace or quote, or ${NAME?message}
// on an unset variable.
var ErrSubstitution = errors.New("bad substitution")

// expand does to word what the builders do to the words of FROM, ARG and
// the --from flags: quotes and escape characters are removed and variables
// are replaced by their values in vars. A variable not in vars is unset,
// and empty.
func expand(word string, escape rune, vars map[string]string) (string, error) {
	l := &lexer{src: []rune(word), escape: escape, vars: vars}
	return l.word(eof)
}

const eof rune = -1

// lexer reads one word, as BuildKit's shell lexer does.
type lexer struct {
	src    []rune
	pos    int
	escape rune
	vars   map[string]string
}

func (l *lexer) peek() rune {
	if l.pos >= len(l.src) {
		return eof
	}
	return l.src[l.pos]
}

func (l *lexer) next() rune {
	r := l.peek()
	if r != eof {
		l.pos++
	}
	return r
}

func (l *lexer) lookup(name string) (string, bool) {
	v, ok := l.vars[name]
	return v, ok
}

// word reads up to stop, which it consumes, or to the end when stop is eof.
func (l *lexer) word(stop rune) (string, error) {
	var b strings.Builder
	for {
		ch := l.peek()
		switch {
		case ch == eof:
			if stop != eof {
				return "", fmt.Errorf("%w: missing %q", ErrSubstitution, stop)
			}
			return b.String(), nil
		case ch == stop:
			l.next()
			return b.String(), nil
		case ch == '\'':
			s, err := l.single()
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		case ch == '"':
			s, err := l.double()
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		case ch == '$':
			s, err := l.dollar()
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		default:
			l.next()
			if ch == l.escape {
				// The escape character makes the next one literal; at the
				// end of the word it is dropped.
				if ch = l.next(); ch == eof {
					continue
				}
			}
			b.WriteRune(ch)
		}
	}
}

// single reads '...': everything up to the closing quote, literally.
func (l *lexer) single() (string, error) {
	l.next()
	var b strings.Builder
	for {
		switch ch := l.next(); ch {
		case eof:
			return "", fmt.Errorf("%w: missing closing '", ErrSubstitution)
		case '\'':
			return b.String(), nil
		default:
			b.WriteRune(ch)
		}
	}
}

// double reads "...": variables are expanded, and the escape character
// makes only ", $ and itself literal.
func (l *lexer) double() (string, error) {
	l.next()
	var b strings.Builder
	for {
		switch ch := l.peek(); ch {
		case eof:
			return "", fmt.Errorf(`%w: missing closing "`, ErrSubstitution)
		case '"':
			l.next()
			return b.String(), nil
		case '$':
			s, err := l.dollar()
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		default:
			l.next()
			if ch == l.escape {
				switch l.peek() {
				case eof:
					continue
				case '"', '$', l.escape:
					ch = l.next()
				}
			}
			b.WriteRune(ch)
		}
	}
}

// dollar reads $NAME or ${...}.
func (l *lexer) dollar() (string, error) {
	l.next()
	if l.peek() != '{' {
		name := l.name()
		if name == "" {
			return "$", nil
		}
		v, _ := l.lookup(name)
		return v, nil
	}
	l.next()
	switch l.peek() {
	case eof:
		return "", fmt.Errorf("%w: missing '}'", ErrSubstitution)
	case '{', '}', ':':
		return "", fmt.Errorf("%w: ${%c", ErrSubstitution, l.peek())
	}
	name := l.name()
	value, set := l.lookup(name)
	op := l.next()
	switch op {
	case '}':
		return value, nil
	case ':':
		op = l.next()
		switch op {
		case '-', '+', '?':
		default:
			return "", l.unsupported(name, ":", op)
		}
		// With the colon an empty value counts as unset.
		set = set && value != ""
	case '-', '+', '?':
	case eof:
		return "", fmt.Errorf("%w: missing '}' after ${%s", ErrSubstitution, name)
	default:
		return "", l.unsupported(name, "", op)
	}
	word, err := l.word('}')
	if err != nil {
		return "", err
	}
	switch op {
	case '-':
		if !set {
			return word, nil
		}
		return value, nil
	case '+':
		if set {
			return word, nil
		}
		return "", nil
	}
	if !set {
		if word == "" {
			word = "is not allowed to be unset"
		}
		return "", fmt.Errorf("%w: %s: %s", ErrSubstitution, name, word)
	}
	return value, nil
}

func (l *lexer) unsupported(name, colon string, op rune) error {
	if op == eof {
		return fmt.Errorf("%w: missing '}' after ${%s%s", ErrSubstitution, name, colon)
	}
	return fmt.Errorf("%w: ${%s%s%c...} is not supported (only -, +, ? with or without a colon)", ErrSubstitution, name, colon, op)
}

// name reads a variable name: letters, digits and _, or one positional or
// special parameter (which is never set).
func (l *lexer) name() string {
	var b strings.Builder
	switch ch := l.peek(); {
	case unicode.IsDigit(ch):
		for unicode.IsDigit(l.peek()) {
			b.WriteRune(l.next())
		}
		return b.String()
	case strings.ContainsRune("@*#?-$!", ch):
		return string(l.next())
	}
	for {
		ch := l.peek()
		if ch != '_' && !unicode.IsLetter(ch) && !unicode.IsDigit(ch) {
			return b.String()
		}
		b.WriteRune(l.next())
	}
}
