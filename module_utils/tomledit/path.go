package tomledit

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// Path locates a value in a decoded document: string elements are keys,
// int elements index an array (of tables), e.g. registry[2].mirror[0].
type Path []any

// String renders the path the way TOML would write the key, with array
// indexes in brackets: registry[0].mirror[1], registry."docker.io".
func (p Path) String() string {
	var b strings.Builder
	for i, e := range p {
		switch x := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", x)
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(renderKey(x))
		}
	}
	return b.String()
}

// HasPrefix reports whether p starts with q.
func (p Path) HasPrefix(q Path) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// lookup returns the value at p in a decoded document.
func lookup(m map[string]any, p Path) (any, bool) {
	var cur any = m
	for _, e := range p {
		switch x := e.(type) {
		case string:
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = obj[x]; !ok {
				return nil, false
			}
		case int:
			list, ok := cur.([]any)
			if !ok || x < 0 || x >= len(list) {
				return nil, false
			}
			cur = list[x]
		}
	}
	return cur, true
}

// parent returns the table holding the last element of p (or holding the
// array that the last element indexes), creating missing tables along the
// way when create is set.
func parent(m map[string]any, p Path, create bool) (map[string]any, error) {
	last := len(p) - 1
	if _, ok := p[last].(int); ok {
		last--
	}
	var cur any = m
	for i := 0; i < last; i++ {
		switch x := p[i].(type) {
		case string:
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s is not a table", p[:i])
			}
			v, ok := obj[x]
			if !ok {
				if !create {
					return nil, fmt.Errorf("no value at %s", p[:i+1])
				}
				v = map[string]any{}
				obj[x] = v
			}
			cur = v
		case int:
			list, ok := cur.([]any)
			if !ok || x < 0 || x >= len(list) {
				return nil, fmt.Errorf("no element at %s", p[:i+1])
			}
			cur = list[x]
		}
	}
	obj, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a table", p[:last])
	}
	return obj, nil
}

// setAt sets the value at p (whose last element is a key).
func setAt(m map[string]any, p Path, v any) error {
	obj, err := parent(m, p, true)
	if err != nil {
		return err
	}
	obj[p[len(p)-1].(string)] = v
	return nil
}

// insertAt inserts v into the array p[:len(p)-1] at index p[len(p)-1],
// creating the array when it is missing.
func insertAt(m map[string]any, p Path, v any) error {
	obj, err := parent(m, p, true)
	if err != nil {
		return err
	}
	key := p[len(p)-2].(string)
	at := p[len(p)-1].(int)
	list, ok := obj[key].([]any)
	if _, exists := obj[key]; exists && !ok {
		return fmt.Errorf("%s is not an array", p[:len(p)-1])
	}
	if at < 0 || at > len(list) {
		return fmt.Errorf("cannot insert at %s: the array has %d elements", p, len(list))
	}
	list = append(list[:at], append([]any{v}, list[at:]...)...)
	obj[key] = list
	return nil
}

// removeAt removes the value at p and returns it. Removing the last
// element of an array of tables removes the array, as TOML has no way to
// write an empty one.
func removeAt(m map[string]any, p Path) (any, error) {
	obj, err := parent(m, p, false)
	if err != nil {
		return nil, err
	}
	switch x := p[len(p)-1].(type) {
	case string:
		v, ok := obj[x]
		if !ok {
			return nil, fmt.Errorf("no value at %s", p)
		}
		delete(obj, x)
		return v, nil
	case int:
		key := p[len(p)-2].(string)
		list, _ := obj[key].([]any)
		if x < 0 || x >= len(list) {
			return nil, fmt.Errorf("no element at %s", p)
		}
		v := list[x]
		list = append(list[:x:x], list[x+1:]...)
		if len(list) == 0 {
			delete(obj, key)
		} else {
			obj[key] = list
		}
		return v, nil
	}
	return nil, fmt.Errorf("bad path %s", p)
}

// clone deep-copies a decoded value.
func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = clone(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = clone(e)
		}
		return out
	}
	return v
}

// equal compares decoded documents, ignoring empty tables (a table whose
// only sub-table was removed may or may not survive as an empty one), with
// NaN equal to NaN and times compared as instants in the same zone offset.
func equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for k, e := range x {
			f, ok := y[k]
			if !ok {
				if isEmptyTable(e) {
					continue
				}
				return false
			}
			if !equal(e, f) {
				return false
			}
		}
		for k, f := range y {
			if _, ok := x[k]; !ok && !isEmptyTable(f) {
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
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case time.Time:
		y, ok := b.(time.Time)
		if !ok {
			return false
		}
		_, xo := x.Zone()
		_, yo := y.Zone()
		return x.Equal(y) && xo == yo
	}
	return reflect.DeepEqual(a, b)
}

func isEmptyTable(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, e := range m {
		if !isEmptyTable(e) {
			return false
		}
	}
	return true
}

// normal turns the values an edit is given (string, []string) into their
// decoded form.
func normal(v any) any {
	switch x := v.(type) {
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return v
}
