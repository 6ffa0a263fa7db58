// Package jsondoc edits JSON configuration files (docker's daemon.json and
// config.json, the containers auth.json) as order-keeping data, so that keys
// the editor does not manage come back exactly as they were, in their
// place. Decoding into a Go struct would drop the keys the struct does not
// know (docker/cli#5559).
package jsondoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Object is a JSON object that remembers the order of its keys. Values are
// *Object, []any, string, json.Number, bool or nil.
type Object struct {
	keys []string
	vals map[string]any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{vals: map[string]any{}} }

// Keys returns the keys in document order.
func (o *Object) Keys() []string { return append([]string(nil), o.keys...) }

// Get returns the value at key.
func (o *Object) Get(key string) (any, bool) {
	v, ok := o.vals[key]
	return v, ok
}

// Set puts value at key: in place when the key exists, at the end otherwise.
// Plain Go maps and slices are converted (map keys sorted).
func (o *Object) Set(key string, value any) {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = FromGo(value)
}

// Delete removes key; it reports whether the key was there.
func (o *Object) Delete(key string) bool {
	if _, ok := o.vals[key]; !ok {
		return false
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
	return true
}

// Parse reads a JSON object. Empty or whitespace-only input is an empty
// object (an empty file is how many hosts ship daemon.json). Anything else
// that is not exactly one JSON object, including duplicate keys, is an
// error naming the line.
func Parse(data []byte) (*Object, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return NewObject(), nil
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := parseValue(d)
	if err == nil {
		if _, terr := d.Token(); terr != io.EOF {
			err = errors.New("trailing data after the top-level value")
		}
	}
	offset := d.InputOffset()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of input")
		offset = int64(len(bytes.TrimRight(data, " \t\r\n")))
	}
	if err != nil {
		return nil, fmt.Errorf("malformed JSON at line %d: %w", lineAt(data, offset), err)
	}
	o, ok := v.(*Object)
	if !ok {
		return nil, fmt.Errorf("malformed JSON: the top-level value is a %s, not an object", kind(v))
	}
	return o, nil
}

func parseValue(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		o := NewObject()
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			key := kt.(string)
			if _, dup := o.vals[key]; dup {
				return nil, fmt.Errorf("duplicate key %q", key)
			}
			v, err := parseValue(d)
			if err != nil {
				return nil, err
			}
			o.keys = append(o.keys, key)
			o.vals[key] = v
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		return o, nil
	case json.Delim('['):
		list := []any{}
		for d.More() {
			v, err := parseValue(d)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		return list, nil
	}
	return t, nil
}

func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

func kind(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// FromGo converts decoded Go values (map[string]any, []any, []string,
// numbers) into document values. Map keys are sorted, so the output does not
// depend on Go's map order.
func FromGo(v any) any {
	switch x := v.(type) {
	case *Object:
		return x
	case map[string]any:
		o := NewObject()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			o.Set(k, x[k])
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = FromGo(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case int:
		return json.Number(fmt.Sprint(x))
	case int64:
		return json.Number(fmt.Sprint(x))
	case float64:
		b, _ := json.Marshal(x)
		return json.Number(b)
	}
	return v
}

// Equal reports whether two document values are the same JSON value. Key
// order does not matter; numbers compare by value.
func Equal(a, b any) bool {
	a, b = FromGo(a), FromGo(b)
	switch x := a.(type) {
	case *Object:
		y, ok := b.(*Object)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for _, k := range x.keys {
			yv, ok := y.vals[k]
			if !ok || !Equal(x.vals[k], yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		xf, err1 := x.Float64()
		yf, err2 := y.Float64()
		return err1 == nil && err2 == nil && xf == yf
	}
	return a == b
}

// MarshalJSON writes the object compactly, keys in document order.
func (o *Object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := marshalValue(o.vals[k])
		if err != nil {
			return nil, err
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func marshalValue(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Format renders the object with the given indent and a final newline.
func Format(o *Object, indent string) ([]byte, error) {
	compact, err := marshalValue(o)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, compact, "", indent); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// Indent guesses the indentation of an existing document from its first
// indented line, falling back to def.
func Indent(data []byte, def string) string {
	for _, line := range strings.Split(string(data), "\n")[1:] {
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" || len(trimmed) == len(line) {
			continue
		}
		return line[:len(line)-len(trimmed)]
	}
	return def
}
