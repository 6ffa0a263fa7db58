package tomledit

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Field is one key-value to write: Value is a string or a []string, written
// as a TOML basic string or an array of basic strings.
type Field struct {
	Key   string
	Value any
}

// Block is a table to write: its header and its key-values.
type Block struct {
	Key    []string // the header's key, e.g. {"registry", "mirror"}
	Array  bool     // [[...]] rather than [...]
	Fields []Field
}

func (b Block) text(nl string) (string, error) {
	var s strings.Builder
	open, closing := "[", "]"
	if b.Array {
		open, closing = "[[", "]]"
	}
	if len(b.Key) == 0 {
		return "", fmt.Errorf("a table needs a key")
	}
	for _, k := range b.Key {
		if !utf8.ValidString(k) {
			return "", fmt.Errorf("table key %q is not valid UTF-8", k)
		}
	}
	s.WriteString(open + renderKeys(b.Key) + closing + nl)
	for _, f := range b.Fields {
		line, err := renderKeyValue(f.Key, f.Value)
		if err != nil {
			return "", err
		}
		s.WriteString(line + nl)
	}
	return s.String(), nil
}

// value returns what the block's table decodes to.
func (b Block) value() map[string]any {
	m := make(map[string]any, len(b.Fields))
	for _, f := range b.Fields {
		m[f.Key] = normal(f.Value)
	}
	return m
}

func renderKeyValue(key string, v any) (string, error) {
	if !utf8.ValidString(key) {
		return "", fmt.Errorf("key %q is not valid UTF-8", key)
	}
	val, err := renderValue(v)
	if err != nil {
		return "", fmt.Errorf("key %s: %w", renderKey(key), err)
	}
	return renderKey(key) + " = " + val, nil
}

func renderValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return renderString(x)
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			var err error
			if parts[i], err = renderString(s); err != nil {
				return "", err
			}
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("cannot write a %T: only strings and lists of strings", v)
}

// renderString writes s as a TOML basic string.
func renderString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8", s)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// renderKey writes one key part, bare when TOML allows it.
func renderKey(k string) string {
	bare := k != ""
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			bare = false
			break
		}
	}
	if bare {
		return k
	}
	s, err := renderString(k)
	if err != nil {
		return fmt.Sprintf("%q", k)
	}
	return s
}

func renderKeys(key []string) string {
	parts := make([]string, len(key))
	for i, k := range key {
		parts[i] = renderKey(k)
	}
	return strings.Join(parts, ".")
}
