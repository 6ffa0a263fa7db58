// Command registry_copy copies an image, or an index with all its
// platforms, from one registry to another, each side with its own
// credentials and CA given as arguments.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/gating/containers/module_utils/imagecopy"
)

type params struct {
	Src          string  `ansible:"src,required"`
	Dest         string  `ansible:"dest,required"`
	SrcUsername  string  `ansible:"src_username"`
	SrcPassword  string  `ansible:"src_password,no_log"`
	SrcCA        string  `ansible:"src_ca"`
	SrcInsecure  bool    `ansible:"src_insecure" default:"false"`
	DestUsername string  `ansible:"dest_username"`
	DestPassword string  `ansible:"dest_password,no_log"`
	DestCA       string  `ansible:"dest_ca"`
	DestInsecure bool    `ansible:"dest_insecure" default:"false"`
	All          bool    `ansible:"all" default:"true"`
	Platform     string  `ansible:"platform" default:"linux/amd64"`
	Retries      int     `ansible:"retries" default:"3"`
	RetryDelay   float64 `ansible:"retry_delay" default:"2"`
	Jobs         int     `ansible:"jobs" default:"8"`
}

func main() { os.Exit(ansible.Main(run)) }

func run(m *ansible.Module, p *params) (ansible.Result, error) {
	var res ansible.Result
	opts, err := options(m, p)
	if err != nil {
		return res, err
	}
	r, err := imagecopy.Copy(context.Background(), p.Src, p.Dest, opts...)
	if err != nil {
		return res, err
	}
	manifests := r.Manifests
	if manifests == nil {
		manifests = []string{}
	}
	res.Changed = r.Changed
	res.Set("digest", r.Digest).Set("media_type", r.MediaType).Set("manifests", manifests).
		Set("previous", r.Previous).Set("bytes", r.Bytes).
		Set("blobs", map[string]int{"uploaded": r.Uploaded, "mounted": r.Mounted, "existing": r.Existing})
	res.Msg = message(m, p, r)
	if r.Changed {
		before := r.Previous
		if before == "" {
			before = "(absent)"
		}
		res.Diffs = append(res.Diffs, ansible.Diff{
			Before: p.Dest + ": " + before + "\n", After: p.Dest + ": " + r.Digest + "\n",
			BeforeHeader: p.Dest + " (before)", AfterHeader: p.Dest + " (after)",
		})
	}
	return res, nil
}

// options turns the arguments into the copy's options, checking what the
// argument types cannot, with the arguments' names.
func options(m *ansible.Module, p *params) ([]imagecopy.Option, error) {
	src, err := endpoint("src", p.SrcUsername, p.SrcPassword, p.SrcCA, p.SrcInsecure)
	if err != nil {
		return nil, err
	}
	dst, err := endpoint("dest", p.DestUsername, p.DestPassword, p.DestCA, p.DestInsecure)
	if err != nil {
		return nil, err
	}
	if err := imagecopy.CheckRetries(p.Retries); err != nil {
		return nil, err
	}
	switch {
	case p.RetryDelay < 0 || p.RetryDelay > 3600:
		return nil, fmt.Errorf("retry_delay %g: want 0 to 3600 seconds", p.RetryDelay)
	case p.Jobs < 1 || p.Jobs > imagecopy.MaxJobs:
		return nil, fmt.Errorf("jobs %d: want 1 to %d", p.Jobs, imagecopy.MaxJobs)
	}
	opts := []imagecopy.Option{
		imagecopy.WithSource(src), imagecopy.WithDestination(dst),
		imagecopy.WithJobs(p.Jobs), imagecopy.WithRetries(p.Retries),
		imagecopy.WithRetryDelay(time.Duration(p.RetryDelay * float64(time.Second))),
		imagecopy.WithUserAgent("gating.containers.registry_copy"),
	}
	if !p.All {
		opts = append(opts, imagecopy.WithPlatform(p.Platform))
	}
	if m.CheckMode {
		opts = append(opts, imagecopy.WithDryRun())
	}
	return opts, nil
}

// endpoint reads one side's arguments. A CA is PEM text, or else the path
// of a PEM file on the host the module runs on.
func endpoint(side, user, password, ca string, insecure bool) (imagecopy.Endpoint, error) {
	e := imagecopy.Endpoint{Username: user, Password: password, Insecure: insecure}
	switch {
	case user != "" && password == "":
		return e, fmt.Errorf("%s_username is given but %s_password is not", side, side)
	case user == "" && password != "":
		return e, fmt.Errorf("%s_password is given but %s_username is not", side, side)
	case strings.ContainsRune(user, ':'):
		return e, fmt.Errorf("%s_username %q: a user name may not contain ':'", side, user)
	}
	if strings.Contains(ca, "-----BEGIN") {
		e.CA = []byte(ca)
	} else if ca = strings.TrimSpace(ca); ca != "" {
		e.CAFile = ca
	}
	if err := e.Check(); err != nil {
		return e, fmt.Errorf("%s_ca: %w", side, err)
	}
	return e, nil
}

func message(m *ansible.Module, p *params, r *imagecopy.Result) string {
	switch {
	case !r.Changed:
		return fmt.Sprintf("%s already names %s", p.Dest, r.Digest)
	case m.CheckMode:
		return fmt.Sprintf("would copy %d manifest(s) to %s", len(r.Manifests), p.Dest)
	}
	return fmt.Sprintf("copied %d manifest(s) to %s; blobs: %d uploaded (%d bytes), %d mounted, %d already there",
		len(r.Manifests), p.Dest, r.Uploaded, r.Bytes, r.Mounted, r.Existing)
}
