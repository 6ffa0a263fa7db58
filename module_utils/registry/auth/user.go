package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
)

// Access is what a user may do.
type Access string

// The accesses a user may have. Anonymous clients may already pull, so a
// read user gains only `docker login`-free authentication on /v2/.
const (
	AccessRead  Access = "read"  // pull
	AccessWrite Access = "write" // pull, push, delete, docker login
)

// User is one account of the registry. Its String and GoString omit the
// password, so printing a User cannot leak it.
type User struct {
	Name     string
	Password string
	Access   Access
}

// String is the user's name and access, without the password.
func (u User) String() string { return fmt.Sprintf("%s (%s)", u.Name, u.Access) }

// GoString is String, so %#v does not print the password either.
func (u User) GoString() string { return "auth.User{" + u.String() + "}" }

// validate checks a user. Errors name the user, never the password.
func (u User) validate() error {
	switch {
	case u.Name == "":
		return fmt.Errorf("user with access %q: empty name", u.Access)
	case strings.ContainsRune(u.Name, ':'):
		// Basic credentials are split on the first ':', so the name
		// cannot hold one; the password can.
		return fmt.Errorf("user %q: the name may not contain ':'", u.Name)
	case u.Password == "":
		return fmt.Errorf("user %q: empty password", u.Name)
	case u.Access != AccessRead && u.Access != AccessWrite:
		return fmt.Errorf("user %q: access %q, want %q or %q", u.Name, u.Access, AccessRead, AccessWrite)
	}
	return nil
}

// account is a user as the Authority keeps it: the password only as a
// digest, so comparisons take the same time whatever its length.
type account struct {
	name   string
	access Access
	digest [sha256.Size]byte
}

// accounts indexes users by name.
type accounts map[string]account

func newAccounts(users []User) (accounts, error) {
	as := make(accounts, len(users))
	for _, u := range users {
		if err := u.validate(); err != nil {
			return nil, err
		}
		if _, dup := as[u.Name]; dup {
			return nil, fmt.Errorf("user %q: defined twice", u.Name)
		}
		as[u.Name] = account{name: u.Name, access: u.Access, digest: sha256.Sum256([]byte(u.Password))}
	}
	return as, nil
}

// check returns the account of name if password is its password. The
// comparison is constant-time, and an unknown name costs the same as a
// wrong password.
func (as accounts) check(name, password string) (account, bool) {
	got := sha256.Sum256([]byte(password))
	a, found := as[name]
	// For an unknown name a.digest is all zeros, which no password hashes to.
	match := subtle.ConstantTimeCompare(got[:], a.digest[:]) == 1
	return a, found && match
}
