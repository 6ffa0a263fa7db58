package reference

import (
	"errors"
	"fmt"
)

// ErrNameInvalid is returned for a repository name outside the grammar.
var ErrNameInvalid = errors.New("invalid repository name")

// ErrTagInvalid is returned for a tag outside the grammar.
var ErrTagInvalid = errors.New("invalid tag")

// MaxNameLength bounds repository names; clients limit the whole
// "<host>/<name>" reference to 255 characters, so a longer name could not be
// pulled anyway.
const MaxNameLength = 255

// maxTagLength is the spec's 128 characters.
const maxTagLength = 128

// ValidateName checks a repository name against the distribution spec:
//
//	[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
//
// A valid name has no empty, "." or ".." component and no component that
// starts with "_", so it can never collide with the storage's own
// directories.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLength {
		return fmt.Errorf("repository name %q: %w", name, ErrNameInvalid)
	}
	// state: 0 = at the start of a component (alnum required),
	// 1 = inside an alnum run, 2 = after "." or "_", 3 = after "__",
	// 4 = after one or more "-".
	state := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		switch {
		case alnum:
			state = 1
		case c == '/' && state == 1:
			state = 0
		case c == '.' && state == 1:
			state = 2
		case c == '_' && state == 1:
			state = 2
			if i+1 < len(name) && name[i+1] == '_' {
				state = 3
				i++
			}
		case c == '-' && (state == 1 || state == 4):
			state = 4
		default:
			return fmt.Errorf("repository name %q: %w", name, ErrNameInvalid)
		}
	}
	if state != 1 {
		return fmt.Errorf("repository name %q: %w", name, ErrNameInvalid)
	}
	return nil
}

// ValidateTag checks a tag against [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
func ValidateTag(tag string) error {
	if tag == "" || len(tag) > maxTagLength {
		return fmt.Errorf("tag %q: %w", tag, ErrTagInvalid)
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' ||
			i > 0 && (c == '.' || c == '-')
		if !ok {
			return fmt.Errorf("tag %q: %w", tag, ErrTagInvalid)
		}
	}
	return nil
}
