package dockerfile_test

import (
	"fmt"
	"strings"

	"github.com/gating/containers/module_utils/dockerfile"
)

func ExampleParse() {
	src := `# escape=\
ARG BASE=gating/speculative-base
FROM ${BASE} AS build
RUN make

FROM quay.io/gating/other:3.0
COPY --from=build /out /out
COPY --from=busybox:1.36 /bin/busybox /bin/
`
	images, err := dockerfile.Parse(strings.NewReader(src), "Dockerfile",
		dockerfile.WithBuildArgs(map[string]string{"BASE": "example/base"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, img := range images {
		fmt.Printf("line %d: %s -> %s, local %s, buildset %s\n",
			img.Line, img.Name, img.Canonical(), img.Familiar(), img.Location())
	}
	// Output:
	// line 3: example/base -> docker.io/example/base:latest, local example/base:latest, buildset example/base
	// line 6: quay.io/gating/other:3.0 -> quay.io/gating/other:3.0, local quay.io/gating/other:3.0, buildset quay.io/gating/other
	// line 8: busybox:1.36 -> docker.io/library/busybox:1.36, local busybox:1.36, buildset library/busybox
}
