package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func artifact(name string) any {
	return map[string]any{
		"name":     name,
		"url":      "docker://ireg:5000/" + name,
		"metadata": map[string]any{"type": "container_image"},
	}
}

func returned(artifacts ...any) map[string]any {
	return map[string]any{"zuul": map[string]any{"artifacts": artifacts}}
}

// testBuildset makes a buildset of builds already run: name -> build.
func testBuildset(def BuildsetDef, ahead []*Buildset, builds ...*Build) *Buildset {
	bs := &Buildset{Def: &def, Ahead: ahead, Builds: builds, byName: map[string]*Build{}}
	for _, b := range builds {
		bs.byName[b.Job.Name] = b
	}
	return bs
}

func TestArtifactsFor(t *testing.T) {
	// Three changes ahead: a is oldest; b provides nothing asked for;
	// c's provider failed.
	a := testBuildset(BuildsetDef{Name: "a", Project: "org/a", Change: "1", Patchset: "3"}, nil,
		&Build{Job: &Job{Name: "build-a", Provides: []string{"image"}}, Result: resultSuccess,
			Data: returned(artifact("a:1"), "not a dict", map[string]any{"name": "no-url"}, artifact("a:2"))},
		&Build{Job: &Job{Name: "docs-a", Provides: []string{"docs"}}, Result: resultSuccess, Data: returned(artifact("docs"))},
	)
	b := testBuildset(BuildsetDef{Name: "b", Project: "org/b"}, nil,
		&Build{Job: &Job{Name: "build-b", Provides: []string{"image", "other"}}, Result: resultSuccess, Data: returned(artifact("b:1"))},
	)
	c := testBuildset(BuildsetDef{Name: "c", Project: "org/c", Change: "3", Patchset: "1"}, nil,
		&Build{Job: &Job{Name: "build-c", Provides: []string{"image"}}, Result: resultFailure, Data: returned(artifact("c:1"))},
	)
	registry := &Build{Job: &Job{Name: "registry", Requires: []string{"image"}}, Data: returned()}
	build := &Build{Job: &Job{Name: "build", Provides: []string{"image"}, Requires: []string{"image"}, Dependencies: []string{"registry"}},
		Data: returned(artifact("mine:1"), artifact("a:1"))}
	test := &Build{Job: &Job{Name: "test", Dependencies: []string{"build"}}}
	testRequiring := &Build{Job: &Job{Name: "test-requiring", Requires: []string{"image"}, Dependencies: []string{"build"}}}
	bs := testBuildset(BuildsetDef{Name: "mine", Project: "org/mine", Change: "4", Patchset: "2"}, []*Buildset{a, b, c},
		registry, build, test, testRequiring)

	names := func(list []map[string]any) []string {
		var out []string
		for _, a := range list {
			out = append(out, a["name"].(string))
		}
		return out
	}

	// Oldest first; invalid entries, other provides and failed providers left out.
	got := artifactsFor(bs, registry)
	require.Equal(t, []string{"a:1", "a:2", "b:1"}, names(got))
	require.Equal(t, map[string]any{
		"name": "a:1", "url": "docker://ireg:5000/a:1", "metadata": map[string]any{"type": "container_image"},
		"project": "org/a", "change": "1", "patchset": "3", "job": "build-a",
	}, got[0], "annotated as Zuul hands artifacts over")
	require.Equal(t, map[string]any{
		"name": "b:1", "url": "docker://ireg:5000/b:1", "metadata": map[string]any{"type": "container_image"},
		"project": "org/b", "job": "build-b",
	}, got[2], "no change, no change or patchset")

	// A job requiring nothing still gets its ancestors' artifacts (all of
	// them, transitively), and none from changes ahead.
	got = artifactsFor(bs, test)
	require.Equal(t, []string{"mine:1", "a:1"}, names(got))
	require.Equal(t, "org/mine", got[1]["project"], "the same name from another job is another artifact")
	require.Equal(t, "build", got[1]["job"])

	got = artifactsFor(bs, testRequiring)
	require.Equal(t, []string{"a:1", "a:2", "b:1", "mine:1", "a:1"}, names(got))

	// Returned entries are not modified by the annotation.
	require.Equal(t, artifact("a:1"), a.Builds[0].Data["zuul"].(map[string]any)["artifacts"].([]any)[0])
}

func TestAhead(t *testing.T) {
	mk := func(name string, dependsOn ...string) *Buildset {
		return &Buildset{Def: &BuildsetDef{Name: name, DependsOn: dependsOn}}
	}
	a, b, c, d := mk("a"), mk("b"), mk("c", "a"), mk("d")
	all := []*Buildset{a, b, c, d}
	got := ahead(&BuildsetDef{Name: "e", DependsOn: []string{"d", "c"}}, all)
	require.Equal(t, []*Buildset{a, c, d}, got, "transitive, oldest first")
}

func TestParentData(t *testing.T) {
	registry := &Build{Job: &Job{Name: "registry"},
		Data:       map[string]any{"zuul": map[string]any{"pause": true}, "shared": map[string]any{"x": "registry", "y": "registry"}},
		SecretData: map[string]any{"buildset_registry": map[string]any{"password": "secret"}}}
	build := &Build{Job: &Job{Name: "build", Dependencies: []string{"registry"}},
		Data: map[string]any{"shared": map[string]any{"y": "build"}, "image": "built"}}
	other := &Build{Job: &Job{Name: "other"}, Data: map[string]any{"unrelated": true}}
	test := &Build{Job: &Job{Name: "test", Dependencies: []string{"build"}}}
	bs := testBuildset(BuildsetDef{Name: "bs"}, nil, registry, build, other, test)

	data, secret := bs.parentData(test)
	require.Equal(t, map[string]any{
		"shared": map[string]any{"x": "registry", "y": "build"},
		"image":  "built",
	}, data, "transitive, merged in order, without zuul nor unrelated jobs")
	require.Equal(t, map[string]any{"buildset_registry": map[string]any{"password": "secret"}}, secret)
}
