package ansible

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// decode fills params (a pointer to a params struct) from the task's
// arguments. Every problem is reported, each naming its argument, in one
// error.
func decode(module string, spec Spec, args map[string]any, params any) error {
	v := reflect.ValueOf(params).Elem()
	var unknown []string
	for name := range args {
		if !strings.HasPrefix(name, "_ansible_") && !spec.has(name) {
			unknown = append(unknown, name)
		}
	}
	var errs []error
	if len(unknown) > 0 {
		sort.Strings(unknown)
		errs = append(errs, fmt.Errorf("Unsupported parameters for (%s) module: %s. Supported parameters include: %s.",
			module, strings.Join(unknown, ", "), strings.Join(spec.Names(), ", ")))
	}
	var missing []string
	for _, o := range spec {
		raw, present := args[o.Name]
		if present && raw == nil {
			present = false // Ansible treats an explicit null as "not given"
		}
		if !present {
			if o.Required {
				missing = append(missing, o.Name)
			} else if o.Default != nil {
				raw = *o.Default
				present = true
			}
		}
		if !present {
			continue
		}
		field := v.Field(o.field)
		conv, err := convert(raw, field.Type())
		if err != nil {
			errs = append(errs, fmt.Errorf("argument '%s' is of type %s and we were unable to convert to %s: %w",
				o.Name, jsonType(raw), describe(o), err))
			continue
		}
		if o.Type == "path" {
			conv = reflect.ValueOf(expandPath(conv.String()))
		}
		if len(o.Choices) > 0 {
			if s := fmt.Sprint(reflect.Indirect(conv).Interface()); !contains(o.Choices, s) {
				errs = append(errs, fmt.Errorf("value of %s must be one of: %s, got: %s",
					o.Name, strings.Join(o.Choices, ", "), s))
				continue
			}
		}
		field.Set(conv)
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("missing required arguments: %s", strings.Join(missing, ", ")))
	}
	return errors.Join(errs...)
}

func (s Spec) has(name string) bool {
	for _, o := range s {
		if o.Name == name {
			return true
		}
	}
	return false
}

func describe(o Option) string {
	if o.Type == "list" {
		return "list of " + o.Elements
	}
	return o.Type
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "str"
	case bool:
		return "bool"
	case json.Number, float64, int:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// convert turns a JSON value (or a tag's default text) into a value of type
// t, with Ansible's loose conversions: "yes"/"on"/1 for booleans, numeric
// strings for numbers, comma-separated strings for lists, JSON text for
// dicts.
func convert(raw any, t reflect.Type) (reflect.Value, error) {
	if t.Kind() == reflect.Pointer {
		inner, err := convert(raw, t.Elem())
		if err != nil {
			return reflect.Value{}, err
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(inner)
		return p, nil
	}
	switch t.Kind() {
	case reflect.String:
		switch x := raw.(type) {
		case string:
			return reflect.ValueOf(x).Convert(t), nil
		case json.Number:
			return reflect.ValueOf(x.String()).Convert(t), nil
		case bool:
			return reflect.ValueOf(strconv.FormatBool(x)).Convert(t), nil
		}
	case reflect.Bool:
		if b, ok := toBool(raw); ok {
			return reflect.ValueOf(b), nil
		}
		return reflect.Value{}, fmt.Errorf("%s is not a valid boolean (use true/false, yes/no, on/off, 1/0)", short(raw))
	case reflect.Int, reflect.Int64:
		f, err := toFloat(raw)
		if err != nil {
			return reflect.Value{}, err
		}
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return reflect.Value{}, fmt.Errorf("%s is not an integer", short(raw))
		}
		return reflect.ValueOf(int64(f)).Convert(t), nil
	case reflect.Float64:
		f, err := toFloat(raw)
		if err != nil {
			return reflect.Value{}, err
		}
		return reflect.ValueOf(f), nil
	case reflect.Slice:
		var items []any
		switch x := raw.(type) {
		case []any:
			items = x
		case string:
			if x != "" {
				for _, s := range strings.Split(x, ",") {
					items = append(items, strings.TrimSpace(s))
				}
			}
		case map[string]any:
			return reflect.Value{}, errors.New("a dict is not a list")
		default:
			items = []any{x}
		}
		out := reflect.MakeSlice(t, 0, len(items))
		for i, item := range items {
			v, err := convert(item, t.Elem())
			if err != nil {
				return reflect.Value{}, fmt.Errorf("element %d: %w", i, err)
			}
			out = reflect.Append(out, v)
		}
		return out, nil
	case reflect.Map:
		switch x := raw.(type) {
		case map[string]any:
			return convertMap(x, t)
		case string:
			var m map[string]any
			if err := unmarshal([]byte(x), &m); err != nil || m == nil {
				return reflect.Value{}, fmt.Errorf("%s is not a dict or a JSON object", short(raw))
			}
			return convertMap(m, t)
		}
	case reflect.Interface:
		if raw == nil {
			return reflect.Zero(t), nil
		}
		return reflect.ValueOf(raw), nil
	}
	return reflect.Value{}, fmt.Errorf("%s cannot be converted", short(raw))
}

func convertMap(m map[string]any, t reflect.Type) (reflect.Value, error) {
	out := reflect.MakeMapWithSize(t, len(m))
	for k, item := range m {
		v, err := convert(item, t.Elem())
		if err != nil {
			return reflect.Value{}, fmt.Errorf("key %q: %w", k, err)
		}
		out.SetMapIndex(reflect.ValueOf(k), v)
	}
	return out, nil
}

// toBool accepts what Ansible's boolean() accepts.
func toBool(raw any) (bool, bool) {
	switch x := raw.(type) {
	case bool:
		return x, true
	case json.Number:
		return toBool(x.String())
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "y", "yes", "on", "1", "1.0", "true", "t":
			return true, true
		case "n", "no", "off", "0", "0.0", "false", "f":
			return false, true
		}
	}
	return false, false
}

func toFloat(raw any) (float64, error) {
	var s string
	switch x := raw.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, fmt.Errorf("%s is not a number", short(raw))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a number", short(raw))
	}
	return f, nil
}

func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

// expandPath does what Ansible's "path" type does: environment variables,
// then a leading ~ or ~user.
func expandPath(p string) string {
	p = os.ExpandEnv(p)
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return home + p[1:]
		}
	}
	return p
}

func unmarshal(data []byte, v any) error {
	d := json.NewDecoder(strings.NewReader(string(data)))
	d.UseNumber()
	return d.Decode(v)
}
