package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/gating/containers/module_utils/logtail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// container runs the registry as a container of an image built locally,
// FROM scratch, around this binary: nothing is pulled.
type container struct {
	d       *deployment
	command string // docker or podman
	name    string
	image   string // localhost/gating/buildset-registry:<sha256 prefix of the binary>
}

func (c *container) kind() string { return c.command + " container " + c.name }

func (c *container) dirs() (string, string) { return containerTLS, containerStorage }

// cli runs the container command; the error quotes its output.
func (c *container) cli(ctx context.Context, args ...string) ([]byte, error) {
	path, err := exec.LookPath(c.command)
	if err != nil {
		return nil, fmt.Errorf("container_command %s: %w", c.command, err)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w: %s", c.command, strings.Join(args, " "), err,
			strings.TrimSpace(stderr.String()+"\n"+stdout.String()))
	}
	return stdout.Bytes(), nil
}

// inspection is what docker and podman both report of a container.
type inspection struct {
	ID    string `json:"Id"`
	Image string // the image ID
	State struct {
		Running    bool
		Restarting bool
		Status     string
	}
	HostConfig struct {
		NetworkMode   string
		RestartPolicy struct{ Name string }
	}
}

// inspect returns the container, or nil when there is none of that name.
func (c *container) inspect(ctx context.Context) (*inspection, error) {
	out, err := c.cli(ctx, "container", "inspect", c.name)
	if err != nil {
		if isNoSuch(err) {
			return nil, nil
		}
		return nil, err
	}
	var list []inspection
	if err := json.Unmarshal(out, &list); err != nil || len(list) != 1 {
		return nil, fmt.Errorf("%s container inspect %s: unexpected output %.200q", c.command, c.name, out)
	}
	return &list[0], nil
}

// isNoSuch reports a "no such container/image" refusal.
func isNoSuch(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "no such") || strings.Contains(s, "not found") || strings.Contains(s, "no container with") || strings.Contains(s, "not known")
}

// imageID returns the ID of the registry image, "" when it is not built.
func (c *container) imageID(ctx context.Context) (string, error) {
	out, err := c.cli(ctx, "image", "inspect", "--format", "{{.Id}}", c.image)
	if err != nil {
		if isNoSuch(err) {
			return "", nil
		}
		return "", err
	}
	return normalizeID(string(out)), nil
}

// normalizeID drops the algorithm docker writes and podman does not.
func normalizeID(id string) string { return strings.TrimPrefix(strings.TrimSpace(id), "sha256:") }

func (c *container) status(ctx context.Context) (status, error) {
	in, err := c.inspect(ctx)
	if err != nil || in == nil {
		return status{}, err
	}
	st := status{exists: true, running: in.State.Running, id: in.ID}
	want, err := c.imageID(ctx)
	if err != nil {
		return st, err
	}
	switch {
	case want == "" || normalizeID(in.Image) != want:
		st.detail = fmt.Sprintf("container %s runs another image than %s", c.name, c.image)
	case in.HostConfig.RestartPolicy.Name != "always":
		st.detail = fmt.Sprintf("container %s has restart policy %q", c.name, in.HostConfig.RestartPolicy.Name)
	case in.HostConfig.NetworkMode != "host":
		st.detail = fmt.Sprintf("container %s has network %q", c.name, in.HostConfig.NetworkMode)
	default:
		st.current = true
	}
	return st, nil
}

func (c *container) installed(ctx context.Context) (bool, error) {
	id, err := c.imageID(ctx)
	return id != "", err
}

// dockerfile is the whole image: this binary, nothing else.
const dockerfile = `FROM scratch
COPY buildset-registry /buildset-registry
ENTRYPOINT ["/buildset-registry"]
`

// install builds the image from a temporary context holding the binary.
func (c *container) install(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "buildset-registry-image.")
	if err != nil {
		return fmt.Errorf("creating the image build context: %w", err)
	}
	defer os.RemoveAll(dir)
	data, err := os.ReadFile(c.d.exe)
	if err != nil {
		return fmt.Errorf("reading the module's own binary %s: %w", c.d.exe, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "buildset-registry"), data, 0o755); err != nil {
		return fmt.Errorf("writing the image build context: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return fmt.Errorf("writing the image build context: %w", err)
	}
	_, err = c.cli(ctx, "build", "--tag", c.image, "--label", "org.opencontainers.image.title=gating.containers buildset registry", dir)
	return err
}

func (c *container) launch(ctx context.Context) (status, func() error, error) {
	args := []string{"run", "--detach", "--name", c.name,
		"--restart=always", "--network=host",
		"--volume", c.d.path(confDir) + ":" + containerConf + ":ro",
		"--volume", c.d.path(tlsDir) + ":" + containerTLS + ":ro",
		"--volume", c.d.path(storageDir) + ":" + containerStorage,
	}
	if c.command == "podman" {
		args = append(args, podmanUlimits()...)
	}
	args = append(args, c.image, serveCommand, "--config", containerConf+"/"+filepath.Base(confFile))
	out, err := c.cli(ctx, args...)
	if err != nil {
		return status{}, nil, err
	}
	st := status{exists: true, running: true, current: true, id: strings.TrimSpace(string(out))}
	alive := func() error {
		in, err := c.inspect(ctx)
		switch {
		case err != nil:
			return err
		case in == nil:
			return fmt.Errorf("container %s is gone", c.name)
		case !in.State.Running && !in.State.Restarting:
			return fmt.Errorf("container %s is %s", c.name, in.State.Status)
		}
		return nil
	}
	return st, alive, nil
}

// podmanUlimits are explicit limits for podman run. podman's defaults
// (1048576 open files and processes) are above the hard limits some hosts
// allow, and without CAP_SYS_RESOURCE the container then fails to start
// ("error setting rlimit type 7: operation not permitted"); --ulimit host
// fails the same way there. The module's own open-files hard limit is
// always allowed, and podman itself runs its containers' monitor with at
// most 32768 processes.
func podmanUlimits() []string {
	const maxProcs = 32768
	var args []string
	var nofile unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &nofile); err == nil {
		n := min(nofile.Max, 1<<20)
		args = append(args, "--ulimit", fmt.Sprintf("nofile=%d:%d", n, n))
	}
	var nproc unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NPROC, &nproc); err == nil {
		n := min(nproc.Max, maxProcs)
		args = append(args, "--ulimit", fmt.Sprintf("nproc=%d:%d", n, n))
	}
	return args
}

func (c *container) stop(ctx context.Context, st status) error {
	_, err := c.cli(ctx, "rm", "--force", c.name)
	if err != nil && !isNoSuch(err) {
		return err
	}
	return nil
}

func (c *container) logs(ctx context.Context) string {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	path, err := exec.LookPath(c.command)
	if err != nil {
		return ""
	}
	out, _ := exec.CommandContext(lctx, path, "logs", "--tail", strconv.Itoa(logtail.Lines), c.name).CombinedOutput()
	if len(bytes.TrimSpace(out)) == 0 {
		return fmt.Sprintf("; container %s logged nothing", c.name)
	}
	return fmt.Sprintf("; last lines of %s logs %s:\n%s", c.command, c.name, strings.TrimSpace(string(out)))
}
