package registry

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The registry is served by the buildset_registry module binary and by any
// Go program: it stays on the standard library, its own packages and
// x/sys (for sync_file_range).
func TestDependencyBudget(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		ok := strings.HasPrefix(dep, "github.com/gating/containers/module_utils/registry") ||
			dep == "github.com/gating/containers/module_utils/atomicfile" ||
			strings.HasPrefix(dep, "golang.org/x/sys/")
		require.True(t, ok, "unexpected dependency %s", dep)
	}
}
