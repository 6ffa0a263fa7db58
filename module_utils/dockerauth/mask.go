package dockerauth

import (
	"github.com/gating/containers/module_utils/jsondoc"
)

// What a credential is shown as. The value after an edit reads
// MaskChanged where it differs from the value before, so a diff still tells
// which credentials changed, never what they are.
const (
	Mask        = "********"
	MaskChanged = "******** (changed)"
)

// unreadable stands in for content that could not be parsed, and so could
// not have its credentials found and hidden.
const unreadable = "(not shown: the content could not be parsed to hide its credentials)\n"

// secretKeys are the keys of an "auths" entry whose values are credentials:
// "auth" is base64 of user:password, which is as good as the password.
var secretKeys = []string{"auth", "password", "identitytoken", "registrytoken"}

// MaskDiff renders a file's content before and after an edit for display,
// with every credential of every "auths" entry masked. Other keys are
// shown as they are, in the file's indentation. Empty content (no file)
// renders as "".
func MaskDiff(before, after []byte) (string, string) {
	old, oldErr := parseNonEmpty(before)
	prev := map[string]map[string]any{}
	if oldErr == nil && old != nil {
		prev = secrets(old)
	}
	return render(before, old, oldErr, nil), render(after, nil, nil, prev)
}

func parseNonEmpty(data []byte) (*jsondoc.Object, error) {
	if len(data) == 0 {
		return nil, nil
	}
	return jsondoc.Parse(data)
}

// render masks data's credentials (parsing it unless doc is given); with
// prev, a value differing from prev's at the same registry and key gets
// MaskChanged.
func render(data []byte, doc *jsondoc.Object, err error, prev map[string]map[string]any) string {
	if doc == nil && err == nil {
		doc, err = parseNonEmpty(data)
	}
	if err != nil {
		return unreadable
	}
	if doc == nil {
		return ""
	}
	maskAuths(doc, prev)
	out, err := jsondoc.Format(doc, jsondoc.Indent(data, defaultIndent))
	if err != nil {
		return unreadable
	}
	return string(out)
}

// secrets collects the credential values of doc's entries by registry and
// key.
func secrets(doc *jsondoc.Object) map[string]map[string]any {
	out := map[string]map[string]any{}
	v, _ := doc.Get("auths")
	auths, ok := v.(*jsondoc.Object)
	if !ok {
		return out
	}
	for _, reg := range auths.Keys() {
		ev, _ := auths.Get(reg)
		entry, ok := ev.(*jsondoc.Object)
		if !ok {
			continue
		}
		out[reg] = map[string]any{}
		for _, k := range secretKeys {
			if s, ok := entry.Get(k); ok {
				out[reg][k] = s
			}
		}
	}
	return out
}

// maskAuths replaces doc's credentials in place. An "auths" or entry of a
// shape clients would reject is masked whole: it could be anything.
func maskAuths(doc *jsondoc.Object, prev map[string]map[string]any) {
	v, ok := doc.Get("auths")
	if !ok || v == nil {
		return
	}
	auths, ok := v.(*jsondoc.Object)
	if !ok {
		doc.Set("auths", Mask)
		return
	}
	for _, reg := range auths.Keys() {
		ev, _ := auths.Get(reg)
		entry, ok := ev.(*jsondoc.Object)
		if !ok {
			if ev != nil {
				auths.Set(reg, Mask)
			}
			continue
		}
		for _, k := range secretKeys {
			s, ok := entry.Get(k)
			if !ok {
				continue
			}
			mask := Mask
			if prev != nil {
				if p, had := prev[reg][k]; !had || !jsondoc.Equal(p, s) {
					mask = MaskChanged
				}
			}
			entry.Set(k, mask)
		}
	}
}
