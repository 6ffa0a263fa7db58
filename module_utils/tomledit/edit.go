package tomledit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// ErrUnexpectedResult is returned (wrapped) when an edit, re-parsed, would
// not be exactly the old document with the asked change: the file writes
// the part being edited in a form the splicer does not rewrite, such as
// dotted keys or an inline table. The document is then left as it was.
var ErrUnexpectedResult = errors.New("the edited file would not hold what was asked " +
	"(is that part written with dotted keys or as an inline table? only [table] and [[array]] headers are edited)")

// Every edit below takes tables and key-values of the Doc it is called on
// and returns a new Doc; the old one stays valid and unchanged.

// SetValue replaces the value of kv.
func (d *Doc) SetValue(kv *KeyValue, v any) (*Doc, error) {
	text, err := renderValue(v)
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", kv.Path, err)
	}
	src := splice(d.src, kv.ValueStart, kv.ValueEnd, text)
	return d.commit("setting "+kv.Path.String(), src, func(_ *Doc, want map[string]any) error {
		return setAt(want, kv.Path, normal(v))
	})
}

// InsertKeyValue adds `key = value` to the table t, after its last
// key-value. For the top level (d.Root()) without key-values, the line goes
// before the first table header and the comment lines directly above it,
// or at the end of a document that has no tables.
func (d *Doc) InsertKeyValue(t *Table, key string, v any) (*Doc, error) {
	path := append(append(Path{}, t.Path...), key)
	what := "adding " + path.String()
	if _, exists := d.Value(path); exists {
		return nil, fmt.Errorf("%s: %w: it is already defined", what, ErrUnexpectedResult)
	}
	line, err := renderKeyValue(key, v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	at, before, after := d.keyValueSpot(t)
	indent := ""
	if n := len(t.KeyValues); n > 0 {
		last := d.src[t.KeyValues[n-1].Start:]
		indent = string(last[:skipBlanks(last, 0)])
	}
	src := splice(d.src, at, at, before+indent+line+d.nl+after)
	return d.commit(what, src, func(_ *Doc, want map[string]any) error {
		return setAt(want, path, normal(v))
	})
}

// keyValueSpot is where a new key-value of t goes, with the line breaks to
// write before and after it.
func (d *Doc) keyValueSpot(t *Table) (at int, before, after string) {
	if t != d.root || len(t.KeyValues) > 0 {
		return t.End, d.newlineAt(t.End), ""
	}
	if len(d.tables) == 0 {
		return len(d.src), d.separator(), ""
	}
	at = d.tables[0].Start
	for at > 0 {
		prev := lineStart(d.src, at-1)
		line := d.src[prev:at]
		if len(line) <= skipBlanks(line, 0) || line[skipBlanks(line, 0)] != '#' {
			break
		}
		at = prev
	}
	return at, "", d.nl
}

// InsertTables writes blocks at offset at, which must be the start of a
// line outside any expression, typically a table's End: an array table
// block written right after an element's own key-values becomes that
// element's first sub-table of its kind.
func (d *Doc) InsertTables(at int, blocks ...Block) (*Doc, error) {
	if err := d.boundary(at); err != nil {
		return nil, fmt.Errorf("inserting %s: %w", describe(blocks), err)
	}
	return d.insertTables(at, d.newlineAt(at), blocks)
}

// AppendTables writes blocks at the end of the document, after a blank
// line.
func (d *Doc) AppendTables(blocks ...Block) (*Doc, error) {
	return d.insertTables(len(d.src), d.separator(), blocks)
}

func (d *Doc) insertTables(at int, before string, blocks []Block) (*Doc, error) {
	what := "inserting " + describe(blocks)
	var text strings.Builder
	for _, b := range blocks {
		t, err := b.text(d.nl)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		text.WriteString(t)
	}
	src := splice(d.src, at, at, before+text.String()+d.spacing(at))
	start := at + len(before)
	end := start + text.Len()
	return d.commit(what, src, func(nd *Doc, want map[string]any) error {
		var added []*Table
		for _, t := range nd.tables {
			if t.Start >= start && t.Start < end {
				added = append(added, t)
			}
		}
		if len(added) != len(blocks) {
			return fmt.Errorf("found %d new tables, not %d", len(added), len(blocks))
		}
		for i, t := range added {
			b := blocks[i]
			if !equalKeys(t.Key, b.Key) || t.Array != b.Array {
				return fmt.Errorf("new table %d reads back as %s", i, t.Path)
			}
			if t.Array {
				if err := insertAt(want, t.Path, b.value()); err != nil {
					return err
				}
				continue
			}
			if old, ok := lookup(want, t.Path); ok {
				obj, ok := old.(map[string]any)
				if !ok {
					return fmt.Errorf("%s is already a value", t.Path)
				}
				for k, v := range b.value() {
					obj[k] = v
				}
				continue
			}
			if err := setAt(want, t.Path, b.value()); err != nil {
				return err
			}
		}
		return nil
	})
}

// MoveTable moves the table t, with the sub-tables written right after it,
// to offset at (see InsertTables), keeping its text as it is.
func (d *Doc) MoveTable(t *Table, at int) (*Doc, error) {
	what := "moving " + t.Path.String()
	end := d.subtreeEnd(t)
	from, to := d.widen(t.Start, end)
	if at >= from && at <= t.Start {
		from = t.Start
	}
	if at >= end && at <= to {
		to = end
	}
	if at > from && at < to {
		return nil, fmt.Errorf("%s: offset %d is inside the table", what, at)
	}
	if err := d.boundary(at); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	text := string(d.src[t.Start:end])
	if !strings.HasSuffix(text, "\n") {
		text += d.nl
	}
	text += d.spacing(at)
	var src []byte
	var newStart int
	if at <= from {
		src = concat(d.src[:at], []byte(text), d.src[at:from], d.src[to:])
		newStart = at
	} else {
		before := d.newlineAt(at)
		src = concat(d.src[:from], d.src[to:at], []byte(before+text), d.src[at:])
		newStart = at - (to - from) + len(before)
	}
	return d.commit(what, src, func(nd *Doc, want map[string]any) error {
		moved := nd.tableAt(newStart)
		if moved == nil || !equalKeys(moved.Key, t.Key) {
			return fmt.Errorf("the moved table is not where it was put")
		}
		v, err := removeAt(want, t.Path)
		if err != nil {
			return err
		}
		if t.Array {
			return insertAt(want, moved.Path, v)
		}
		return setAt(want, moved.Path, v)
	})
}

// FirstChildOffset is where a new first element of the array of tables
// name under t goes (for InsertTables or MoveTable): right after t's own
// key-values, or at its first such sub-table when only blank lines
// separate the two, so the new one is spaced like the others.
func (d *Doc) FirstChildOffset(t *Table, name ...string) int {
	children := d.Children(t, name...)
	if len(children) == 0 || children[0].Start < t.End {
		return t.End
	}
	gap := d.src[t.End:children[0].Start]
	if len(bytes.Trim(gap, " \t\r\n")) == 0 {
		return children[0].Start
	}
	return t.End
}

// spacing is what goes after tables inserted at offset at: a blank line
// when at is a table header with a blank line above it, so that tables
// stay separated the way the document separates them.
func (d *Doc) spacing(at int) string {
	if d.tableAt(at) == nil || at == 0 {
		return ""
	}
	prev := d.src[lineStart(d.src, at-1):at]
	if len(bytes.Trim(prev, " \t\r\n")) == 0 {
		return d.nl
	}
	return ""
}

// DeleteTable removes the table t with the sub-tables written right after
// it, and a blank line that would otherwise be left doubled.
func (d *Doc) DeleteTable(t *Table) (*Doc, error) {
	from, to := d.widen(t.Start, d.subtreeEnd(t))
	return d.commit("removing "+t.Path.String(), splice(d.src, from, to, ""), func(_ *Doc, want map[string]any) error {
		_, err := removeAt(want, t.Path)
		return err
	})
}

// DeleteKeyValue removes the line(s) of kv.
func (d *Doc) DeleteKeyValue(kv *KeyValue) (*Doc, error) {
	return d.commit("removing "+kv.Path.String(), splice(d.src, kv.Start, kv.End, ""), func(_ *Doc, want map[string]any) error {
		_, err := removeAt(want, kv.Path)
		return err
	})
}

// commit parses the edited text and checks that it decodes to the old
// document changed by expect, which is given the new document (to find
// where new tables landed) and a copy of the old decoded document to change.
func (d *Doc) commit(what string, src []byte, expect func(nd *Doc, want map[string]any) error) (*Doc, error) {
	nd, err := Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: the result would be %v", what, ErrUnexpectedResult, err)
	}
	want := clone(d.data).(map[string]any)
	if err := expect(nd, want); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", what, ErrUnexpectedResult, err)
	}
	if !equal(want, nd.data) {
		return nil, fmt.Errorf("%s: %w", what, ErrUnexpectedResult)
	}
	return nd, nil
}

// boundary checks that at is the start of a line between expressions.
func (d *Doc) boundary(at int) error {
	if at < 0 || at > len(d.src) || at > 0 && at < len(d.src) && d.src[at-1] != '\n' {
		return fmt.Errorf("offset %d is not the start of a line", at)
	}
	inside := func(start, end int) bool { return start < at && at < end }
	for _, kv := range d.root.KeyValues {
		if inside(kv.Start, kv.End) {
			return fmt.Errorf("offset %d is inside %s", at, kv.Path)
		}
	}
	for _, t := range d.tables {
		if inside(t.Start, t.HeaderEnd) {
			return fmt.Errorf("offset %d is inside the header of %s", at, t.Path)
		}
		for _, kv := range t.KeyValues {
			if inside(kv.Start, kv.End) {
				return fmt.Errorf("offset %d is inside %s", at, kv.Path)
			}
		}
	}
	return nil
}

func (d *Doc) tableAt(start int) *Table {
	for _, t := range d.tables {
		if t.Start == start {
			return t
		}
	}
	return nil
}

// newlineAt is the line break needed before text inserted at offset at:
// one when at is the end of a document whose last line is not terminated.
func (d *Doc) newlineAt(at int) string {
	if at == len(d.src) && at > 0 && d.src[at-1] != '\n' {
		return d.nl
	}
	return ""
}

// separator is what goes before text appended to the document: a line
// break ending its last line, and a blank line.
func (d *Doc) separator() string {
	if len(d.src) == 0 {
		return ""
	}
	s := d.newlineAt(len(d.src))
	if !endsWithBlankLine(append(append([]byte{}, d.src...), s...)) {
		s += d.nl
	}
	return s
}

func endsWithBlankLine(b []byte) bool {
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return len(b) == 0 || b[len(b)-1] == '\n'
}

// widen extends the span [from, to) being removed over one of the blank
// lines around it, when removing it would leave two blank lines in a row
// (or one at either end of the document).
func (d *Doc) widen(from, to int) (int, int) {
	blankAt := func(i int) (int, bool) { // is the line starting at i blank; where does it end
		end := lineEnd(d.src, i)
		line := bytes.TrimRight(d.src[i:end], "\r\n")
		return end, i < len(d.src) && len(line) == 0
	}
	prevBlank := false
	prev := from
	if from > 0 {
		prev = lineStart(d.src, from-1)
		_, prevBlank = blankAt(prev)
	}
	nextEnd, nextBlank := blankAt(to)
	switch {
	case prevBlank && (nextBlank || to == len(d.src)):
		return prev, to
	case from == 0 && nextBlank:
		return from, nextEnd
	}
	return from, to
}

func splice(src []byte, from, to int, text string) []byte {
	return concat(src[:from], []byte(text), src[to:])
}

func concat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func describe(blocks []Block) string {
	var names []string
	for _, b := range blocks {
		if b.Array {
			names = append(names, "[["+renderKeys(b.Key)+"]]")
		} else {
			names = append(names, "["+renderKeys(b.Key)+"]")
		}
	}
	return strings.Join(names, ", ")
}
