package tomledit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// ErrMalformed is returned (wrapped, with the line and column) for input
// that is not valid TOML.
var ErrMalformed = errors.New("malformed TOML")

// Doc is a parsed TOML document: its text, its decoded value, and where
// each table and key-value sits in the text. A Doc is not changed by an
// edit; edits return a new Doc.
type Doc struct {
	src    []byte
	data   map[string]any
	root   *Table
	tables []*Table // every [table] and [[array table]] header, in order
	nl     string   // the document's line ending
}

// Table is a [table] header or one [[array table]] element, with the
// key-values written under it. The document's top level (the key-values
// before the first header) is a Table with no Key.
type Table struct {
	Key       []string // the header's key, e.g. [registry docker.io]
	Array     bool     // an [[array table]] element
	Path      Path     // where the table is in the decoded document, e.g. registry[2].mirror[0]
	Start     int      // offset of the header line; 0 for the top level
	HeaderEnd int      // offset after the header line; 0 for the top level
	End       int      // offset after its last key-value line (HeaderEnd when it has none)
	KeyValues []*KeyValue
}

// KeyValue is one `key = value` expression.
type KeyValue struct {
	Key        []string // the key's parts: more than one for a dotted key
	Path       Path     // where the value is in the decoded document
	Start      int      // offset of its first line
	End        int      // offset after its last line (newline included, when there is one)
	ValueStart int      // offset of the value's text
	ValueEnd   int      // offset after the value's text
	Value      any      // the decoded value
}

// Parse reads a TOML document. Empty input is an empty document. Input
// that is not valid TOML is an error wrapping ErrMalformed that names the
// line and column.
func Parse(src []byte) (*Doc, error) {
	data := map[string]any{}
	if err := toml.Unmarshal(src, &data); err != nil {
		return nil, malformed(err)
	}
	d := &Doc{src: src, data: data, root: &Table{Path: Path{}}, nl: "\n"}
	if bytes.Contains(src, []byte("\r\n")) {
		d.nl = "\r\n"
	}
	var p unstable.Parser
	p.Reset(src)
	arrays := map[string]int{} // array-of-tables path -> elements seen so far
	current := d.root
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			kv, err := d.keyValue(e, current.Path)
			if err != nil {
				return nil, err
			}
			kv.Value, _ = d.Value(kv.Path)
			current.KeyValues = append(current.KeyValues, kv)
			current.End = kv.End
		case unstable.Table, unstable.ArrayTable:
			key, first, last := keyParts(e)
			t := &Table{Key: key, Array: e.Kind == unstable.ArrayTable}
			t.Start = lineStart(src, first)
			t.HeaderEnd = lineEnd(src, last)
			t.End = t.HeaderEnd
			if t.Array {
				parent := resolve(arrays, key[:len(key)-1])
				array := append(parent, key[len(key)-1])
				n := arrays[array.String()]
				arrays[array.String()] = n + 1
				t.Path = append(array, n)
			} else {
				t.Path = resolve(arrays, key)
			}
			d.tables = append(d.tables, t)
			current = t
		}
	}
	if err := p.Error(); err != nil {
		// toml.Unmarshal accepted the input, so this is a disagreement
		// between go-toml's two parsers; refuse rather than guess.
		return nil, malformed(err)
	}
	return d, nil
}

func malformed(err error) error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Errorf("%w at line %d, column %d: %s", ErrMalformed, row, col,
			strings.TrimPrefix(de.Error(), "toml: "))
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}

// keyParts returns an expression's key and the byte offsets of the start
// of its first part and the end of its last.
func keyParts(e *unstable.Node) (key []string, first, last int) {
	it := e.Key()
	first = -1
	for it.Next() {
		n := it.Node()
		key = append(key, string(n.Data))
		if first < 0 {
			first = int(n.Raw.Offset)
		}
		last = int(n.Raw.Offset + n.Raw.Length)
	}
	return key, first, last
}

func (d *Doc) keyValue(e *unstable.Node, table Path) (*KeyValue, error) {
	key, first, last := keyParts(e)
	kv := &KeyValue{Key: key, Path: append(append(Path{}, table...), toPath(key)...)}
	kv.Start = lineStart(d.src, first)
	kv.ValueEnd = int(e.Raw.Offset + e.Raw.Length)
	i := skipBlanks(d.src, last)
	if i >= len(d.src) || d.src[i] != '=' {
		return nil, fmt.Errorf("%w: no '=' after key %s at offset %d", ErrMalformed, kv.Path, last)
	}
	kv.ValueStart = skipBlanks(d.src, i+1)
	kv.End = lineEnd(d.src, kv.ValueEnd)
	return kv, nil
}

// resolve turns a header's key into a path in the decoded document: a part
// naming an array of tables means its last element so far.
func resolve(arrays map[string]int, key []string) Path {
	p := Path{}
	for _, k := range key {
		p = append(p, k)
		if n, ok := arrays[p.String()]; ok {
			p = append(p, n-1)
		}
	}
	return p
}

func toPath(key []string) Path {
	p := make(Path, len(key))
	for i, k := range key {
		p[i] = k
	}
	return p
}

func skipBlanks(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// lineStart is the offset of the start of the line holding offset i.
func lineStart(b []byte, i int) int {
	return bytes.LastIndexByte(b[:i], '\n') + 1
}

// lineEnd is the offset after the newline ending the line holding offset
// i, or the end of b.
func lineEnd(b []byte, i int) int {
	if n := bytes.IndexByte(b[i:], '\n'); n >= 0 {
		return i + n + 1
	}
	return len(b)
}

// Bytes returns the document's text.
func (d *Doc) Bytes() []byte { return d.src }

// Data returns the decoded document. It must not be modified.
func (d *Doc) Data() map[string]any { return d.data }

// Value returns the decoded value at p.
func (d *Doc) Value(p Path) (any, bool) { return lookup(d.data, p) }

// Root returns the document's top level: the key-values before the first
// table header.
func (d *Doc) Root() *Table { return d.root }

// Tables returns every table header, in document order.
func (d *Doc) Tables() []*Table { return d.tables }

// Table returns the standard table with the given header key, e.g.
// Table("registry", "docker.io") for [registry."docker.io"], or nil.
func (d *Doc) Table(key ...string) *Table {
	for _, t := range d.tables {
		if !t.Array && equalKeys(t.Key, key) {
			return t
		}
	}
	return nil
}

// ArrayTables returns every element of the array of tables with the given
// header key, e.g. ArrayTables("registry") for each [[registry]], in order.
func (d *Doc) ArrayTables(key ...string) []*Table {
	var out []*Table
	for _, t := range d.tables {
		if t.Array && equalKeys(t.Key, key) {
			out = append(out, t)
		}
	}
	return out
}

// Children returns the elements of the array of tables name that belong to
// the table t, e.g. Children(registry, "mirror") for the [[registry.mirror]]
// tables of one [[registry]] element.
func (d *Doc) Children(t *Table, name ...string) []*Table {
	key := append(append([]string{}, t.Key...), name...)
	var out []*Table
	for _, c := range d.tables {
		if c.Array && equalKeys(c.Key, key) && c.Path.HasPrefix(t.Path) {
			out = append(out, c)
		}
	}
	return out
}

// subtreeEnd is the offset after t and the sub-tables that directly follow
// it (t's own [[t.x]] and [t.y] tables written right after it).
func (d *Doc) subtreeEnd(t *Table) int {
	end := t.End
	i := d.index(t)
	for _, c := range d.tables[i+1:] {
		if len(c.Path) <= len(t.Path) || !c.Path.HasPrefix(t.Path) {
			break
		}
		end = c.End
	}
	return end
}

func (d *Doc) index(t *Table) int {
	for i, c := range d.tables {
		if c == t {
			return i
		}
	}
	return -1
}

// Get returns the key-value written under t with the given key, or nil.
func (t *Table) Get(key ...string) *KeyValue {
	for _, kv := range t.KeyValues {
		if equalKeys(kv.Key, key) {
			return kv
		}
	}
	return nil
}

// String returns the value when it is a string.
func (kv *KeyValue) String() (string, bool) {
	s, ok := kv.Value.(string)
	return s, ok
}

// Strings returns the value when it is an array of strings.
func (kv *KeyValue) Strings() ([]string, bool) {
	return Strings(kv.Value)
}

// Strings converts a decoded value to a list of strings, when it is an
// array of strings.
func Strings(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func equalKeys(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
