package dockerfile

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewImage(t *testing.T) {
	for _, tt := range []struct {
		in, canonical, familiar, location, identifier string
	}{
		{"busybox", "docker.io/library/busybox:latest", "busybox:latest", "library/busybox", "latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", "library/busybox", "1.36"},
		{"library/busybox", "docker.io/library/busybox:latest", "busybox:latest", "library/busybox", "latest"},
		{"docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest", "library/busybox", "latest"},
		{"index.docker.io/library/busybox:1", "docker.io/library/busybox:1", "busybox:1", "library/busybox", "1"},
		{"example/base", "docker.io/example/base:latest", "example/base:latest", "example/base", "latest"},
		{"docker.io/gating/speculative-base:v2", "docker.io/gating/speculative-base:v2", "gating/speculative-base:v2", "gating/speculative-base", "v2"},
		{"docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest", "library/a/b", "latest"},
		{"quay.io/org/img:tag", "quay.io/org/img:tag", "quay.io/org/img:tag", "quay.io/org/img", "tag"},
		{"quay.io/img", "quay.io/img:latest", "quay.io/img:latest", "quay.io/img", "latest"},
		{"registry.example:5000/a/b/c:1_0", "registry.example:5000/a/b/c:1_0", "registry.example:5000/a/b/c:1_0", "registry.example:5000/a/b/c", "1_0"},
		{"localhost/x", "localhost/x:latest", "localhost/x:latest", "localhost/x", "latest"},
		{"[::1]:5000/x:y", "[::1]:5000/x:y", "[::1]:5000/x:y", "[::1]:5000/x", "y"},
		{"busybox@" + digest, "docker.io/library/busybox@" + digest, "busybox@" + digest, "library/busybox", digest},
		{"busybox:1.36@" + digest, "docker.io/library/busybox@" + digest, "busybox@" + digest, "library/busybox", digest},
		{"quay.io/o/i@" + digest, "quay.io/o/i@" + digest, "quay.io/o/i@" + digest, "quay.io/o/i", digest},
	} {
		img, err := NewImage(tt.in)
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.in, img.Name)
		require.Equal(t, tt.canonical, img.Canonical(), tt.in)
		require.Equal(t, tt.familiar, img.Familiar(), tt.in)
		require.Equal(t, tt.location, img.Location(), tt.in)
		require.Equal(t, tt.identifier, img.Identifier(), tt.in)
		again, err := NewImage(img.Canonical())
		require.NoError(t, err)
		require.Equal(t, img.Canonical(), again.Canonical(), "the canonical name is a fixed point")
		fam, err := NewImage(img.Familiar())
		require.NoError(t, err)
		require.Equal(t, img.Canonical(), fam.Canonical(), "the familiar name means the same image")
	}
}

func TestNewImageErrors(t *testing.T) {
	for _, in := range []string{"", "Busybox", "busybox:", "a b", "busybox@sha256:abc", "busybox:t@g", "quay.io/", "-/x:y:z", "http://x/y"} {
		_, err := NewImage(in)
		require.Error(t, err, "%q", in)
		require.ErrorContains(t, err, "image reference")
	}
}
