// Package dockerauth adds and removes one registry's credentials in a
// docker client config (~/.docker/config.json) or a containers auth file
// (${XDG_RUNTIME_DIR}/containers/auth.json, /run/user/<uid>/auth.json): both
// hold {"auths": {"<registry>": {"auth": base64("<user>:<password>")}}}.
//
// Everything else in the file - credsStore, credHelpers, proxies,
// HttpHeaders, the other registries' entries, keys this package has never
// heard of - comes back as it was, in its place. The registry key is used
// exactly as given: docker looks entries up by "host[:port]", and by
// "https://index.docker.io/v1/" for Docker Hub, so the caller picks the
// spelling its clients use.
package dockerauth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gating/containers/module_utils/atomicfile"
	"github.com/gating/containers/module_utils/configedit"
	"github.com/gating/containers/module_utils/jsondoc"
)

// Docker's own permissions for a config it creates: the file holds
// credentials, so only its owner may read it or list its directory.
const (
	FileMode fs.FileMode = 0o600
	DirMode  fs.FileMode = 0o700
)

// defaultIndent is what docker writes (json.MarshalIndent with a tab).
const defaultIndent = "\t"

// Overriding lists the entry keys a client prefers to "auth": docker and
// containers/image exchange an identitytoken (an OAuth refresh token) for
// access instead of the password, and dockerd sends a registrytoken as a
// bearer token as it is. A stale one would keep the old credentials in use,
// so setting credentials removes them. Other keys of the entry (email, ...)
// are kept.
var Overriding = []string{"identitytoken", "registrytoken"}

// Credentials are one registry's login.
type Credentials struct {
	Registry string // the "auths" key, used as given
	Username string // must not contain ':' (clients split "auth" at the first ':')
	Password string // may contain ':'
}

// Auth returns the value of the entry's "auth" key: base64 of
// "<username>:<password>". It is as secret as the password.
func (c Credentials) Auth() string {
	return base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))
}

func (c Credentials) validate() error {
	var errs []error
	if c.Registry == "" {
		errs = append(errs, errors.New("the registry is empty"))
	}
	if c.Username == "" {
		errs = append(errs, errors.New("the username is empty"))
	} else if strings.Contains(c.Username, ":") {
		errs = append(errs, fmt.Errorf("username %q contains ':', which clients read as the end of the username", c.Username))
	}
	if c.Password == "" {
		errs = append(errs, errors.New("the password is empty"))
	}
	return errors.Join(errs...)
}

// Edit is the outcome of Add or Remove.
type Edit struct {
	configedit.Change
	// Store is the credential helper docker asks for this registry instead
	// of reading "auths", if the file configures one.
	Store Store
}

// errNoFile stops a removal from a file that does not exist: there is
// nothing to remove and nothing to create.
var errNoFile = errors.New("no such file")

// Add puts c's credentials in the file at path, creating the file (mode
// 0600, missing directories 0700) when needed; with check set nothing is
// written. The same credentials already there leave the file untouched. A
// malformed file is an error naming it, and is left as it is.
func Add(path string, c Credentials, check bool) (Edit, error) {
	if err := c.validate(); err != nil {
		return Edit{Change: configedit.Change{Path: path}}, fmt.Errorf("credentials for %s: %w", path, err)
	}
	if !check {
		if err := makeParent(path); err != nil {
			return Edit{Change: configedit.Change{Path: path}}, err
		}
	}
	var e Edit
	change, err := configedit.Apply(path, FileMode, check, func(data []byte, exists bool) ([]byte, error) {
		doc, err := jsondoc.Parse(data)
		if err != nil {
			return nil, err
		}
		e.Store = storeFor(doc, c.Registry)
		changed, err := set(doc, c)
		if err != nil {
			return nil, err
		}
		if exists && !changed {
			return data, nil // same credentials: keep the file byte for byte
		}
		return jsondoc.Format(doc, jsondoc.Indent(data, defaultIndent))
	})
	e.Change = change
	return e, err
}

// Remove deletes registry's entry from the file at path, and only that;
// with check set nothing is written. A missing file or entry is no change.
// A malformed file is an error naming it, and is left as it is.
func Remove(path, registry string, check bool) (Edit, error) {
	if registry == "" {
		return Edit{Change: configedit.Change{Path: path}}, fmt.Errorf("credentials for %s: the registry is empty", path)
	}
	var e Edit
	change, err := configedit.Apply(path, FileMode, check, func(data []byte, exists bool) ([]byte, error) {
		if !exists {
			return nil, errNoFile
		}
		doc, err := jsondoc.Parse(data)
		if err != nil {
			return nil, err
		}
		e.Store = storeFor(doc, registry)
		auths, err := authsOf(doc, false)
		if err != nil {
			return nil, err
		}
		if auths == nil || !auths.Delete(registry) {
			return data, nil
		}
		return jsondoc.Format(doc, jsondoc.Indent(data, defaultIndent))
	})
	e.Change = change
	if errors.Is(err, errNoFile) {
		return e, nil
	}
	return e, err
}

// set makes doc hold c's credentials and reports whether it had to change.
func set(doc *jsondoc.Object, c Credentials) (bool, error) {
	auths, err := authsOf(doc, true)
	if err != nil {
		return false, err
	}
	auth := c.Auth()
	v, ok := auths.Get(c.Registry)
	if !ok || v == nil {
		entry := jsondoc.NewObject()
		entry.Set("auth", auth)
		auths.Set(c.Registry, entry)
		return true, nil
	}
	entry, ok := v.(*jsondoc.Object)
	if !ok {
		return false, fmt.Errorf("the \"auths\" entry of %q is not an object", c.Registry)
	}
	changed := false
	if old, _ := entry.Get("auth"); old != auth {
		entry.Set("auth", auth)
		changed = true
	}
	for _, k := range Overriding {
		if entry.Delete(k) {
			changed = true
		}
	}
	return changed, nil
}

// authsOf returns doc's "auths" object, adding an empty one at the end of
// doc when create is set and there is none (or it is null).
func authsOf(doc *jsondoc.Object, create bool) (*jsondoc.Object, error) {
	v, ok := doc.Get("auths")
	if !ok || v == nil {
		if !create {
			return nil, nil
		}
		auths := jsondoc.NewObject()
		doc.Set("auths", auths)
		return auths, nil
	}
	auths, ok := v.(*jsondoc.Object)
	if !ok {
		return nil, errors.New("\"auths\" is not an object")
	}
	return auths, nil
}

// makeParent creates the directories a new file at path needs, private to
// their owner as docker makes ~/.docker. Existing directories are left as
// they are.
func makeParent(path string) error {
	target, err := atomicfile.Resolve(path)
	if err != nil {
		return fmt.Errorf("editing %s: %w", path, err)
	}
	dir := filepath.Dir(target)
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		return nil // there, or a problem the edit itself will report
	}
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("editing %s: %w", path, err)
	}
	return nil
}
