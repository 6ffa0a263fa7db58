package dockerfile

import (
	"errors"
	"fmt"
	"strings"
)

// Option configures Parse; Parse applies and checks them once.
type Option func(*options) error

type options struct {
	buildArgs map[string]string
	target    string
}

// WithBuildArgs sets the build arguments (docker build --build-arg): they
// override the defaults of the ARGs of the same names. An argument no ARG
// declares is ignored, as the builders do.
func WithBuildArgs(args map[string]string) Option {
	return func(o *options) error {
		for k, v := range args {
			if k == "" {
				return errors.New("a build argument without a name")
			}
			o.buildArgs[k] = v
		}
		return nil
	}
}

// WithTarget builds up to the stage named stage (docker build --target),
// in any case: the stages after it do not count.
func WithTarget(stage string) Option {
	return func(o *options) error {
		o.target = stage
		return nil
	}
}

func build(opts []Option) (*options, error) {
	o := &options{buildArgs: map[string]string{}}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// BuildArgs reads build arguments written as docker build's --build-arg
// values: NAME=VALUE, or a bare NAME, which takes its value from lookup
// (docker looks in its environment: pass os.LookupEnv) and is left out
// when lookup has none. A later value of a name wins.
func BuildArgs(args []string, lookup func(string) (string, bool)) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if k == "" {
			return nil, fmt.Errorf("build argument %q: no name before the =", a)
		}
		if !ok {
			if v, ok = lookup(k); !ok {
				continue
			}
		}
		out[k] = v
	}
	return out, nil
}
