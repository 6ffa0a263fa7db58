package ansible

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Option describes one module parameter, as declared by the `ansible`,
// `type`, `default` and `choices` tags of a params struct field.
type Option struct {
	Name     string
	Type     string // Ansible type name: str, path, bool, int, float, list, dict, raw
	Elements string // for lists: the element type
	Required bool
	NoLog    bool
	Default  *string // the tag's text; nil when the option has no default
	Choices  []string
	field    int
	typ      reflect.Type
}

// Value converts raw (a JSON value or a default's text) the way the
// option's argument would be converted.
func (o Option) Value(raw any) (any, error) {
	v, err := convert(raw, o.typ)
	if err != nil {
		return nil, err
	}
	return v.Interface(), nil
}

// Spec is the ordered list of a module's options.
type Spec []Option

// Names returns the option names, sorted.
func (s Spec) Names() []string {
	names := make([]string, 0, len(s))
	for _, o := range s {
		names = append(names, o.Name)
	}
	sort.Strings(names)
	return names
}

// SpecOf reads the option declarations of a params struct (or a pointer to
// one). A malformed declaration is a programming error and is returned as
// such, naming the field.
func SpecOf(params any) (Spec, error) {
	t := reflect.TypeOf(params)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("params must be a struct, got %v", t)
	}
	var spec Spec
	seen := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("ansible")
		if !ok {
			continue
		}
		parts := strings.Split(tag, ",")
		o := Option{Name: parts[0], field: i, typ: f.Type}
		if o.Name == "" || seen[o.Name] {
			return nil, fmt.Errorf("field %s: empty or duplicate option name %q", f.Name, o.Name)
		}
		seen[o.Name] = true
		for _, flag := range parts[1:] {
			switch flag {
			case "required":
				o.Required = true
			case "no_log":
				o.NoLog = true
			default:
				return nil, fmt.Errorf("field %s: unknown flag %q in ansible tag", f.Name, flag)
			}
		}
		var err error
		o.Type, o.Elements, err = typeName(f.Type)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		if override, ok := f.Tag.Lookup("type"); ok {
			if override != "path" || o.Type != "str" {
				return nil, fmt.Errorf("field %s: type %q is only allowed as path on a string", f.Name, override)
			}
			o.Type = override
		}
		if d, ok := f.Tag.Lookup("default"); ok {
			if o.Required {
				return nil, fmt.Errorf("field %s: a required option cannot have a default", f.Name)
			}
			if _, err := convert(d, f.Type); err != nil {
				return nil, fmt.Errorf("field %s: default %q: %w", f.Name, d, err)
			}
			o.Default = &d
		}
		if c, ok := f.Tag.Lookup("choices"); ok {
			o.Choices = strings.Split(c, ",")
			if o.Default != nil && !contains(o.Choices, *o.Default) {
				return nil, fmt.Errorf("field %s: default %q is not among the choices", f.Name, *o.Default)
			}
		}
		spec = append(spec, o)
	}
	return spec, nil
}

func typeName(t reflect.Type) (name, elements string, err error) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "str", "", nil
	case reflect.Bool:
		return "bool", "", nil
	case reflect.Int, reflect.Int64:
		return "int", "", nil
	case reflect.Float64:
		return "float", "", nil
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			return "dict", "", nil
		}
	case reflect.Slice:
		el, _, err := typeName(t.Elem())
		if err != nil {
			return "", "", err
		}
		return "list", el, nil
	case reflect.Interface:
		return "raw", "", nil
	}
	return "", "", fmt.Errorf("unsupported parameter type %v", t)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
