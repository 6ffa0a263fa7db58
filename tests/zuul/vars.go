package main

// unsafeString is a string Ansible must not template: it is written to
// the inventory as `!unsafe`, as Zuul marks secrets and the data jobs
// return (a password holding "{{" stays a password).
type unsafeString string

// markUnsafe returns a copy of v with every string an unsafeString.
func markUnsafe(v any) any {
	switch t := v.(type) {
	case string:
		return unsafeString(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = markUnsafe(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = markUnsafe(e)
		}
		return out
	default:
		return v
	}
}

// mergeVars returns base with over deep-merged into it, as Zuul merges a
// job's vars into its parent's: dicts key by key, anything else replaced;
// over wins. Neither argument is modified.
func mergeVars(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = deepCopy(v)
	}
	for k, v := range over {
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				out[k] = mergeVars(bm, om)
				continue
			}
		}
		out[k] = deepCopy(v)
	}
	return out
}

// deepCopy copies the maps and lists of JSON-like data.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

// without returns a copy of m without the given keys.
func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}
