// Package doccheck fails a module's tests when its sidecar documentation
// (plugins/modules/<name>.yml, what ansible-doc shows) and its params
// struct (what the module accepts) disagree.
package doccheck

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/gating/containers/module_utils/ansible"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

type sidecar struct {
	Documentation struct {
		Module           string               `yaml:"module"`
		ShortDescription string               `yaml:"short_description"`
		Description      []string             `yaml:"description"`
		Options          map[string]docOption `yaml:"options"`
		Attributes       map[string]any       `yaml:"attributes"`
	} `yaml:"DOCUMENTATION"`
	Examples string         `yaml:"EXAMPLES"`
	Return   map[string]any `yaml:"RETURN"`
}

type docOption struct {
	Description any    `yaml:"description"`
	Type        string `yaml:"type"`
	Elements    string `yaml:"elements"`
	Required    bool   `yaml:"required"`
	Default     any    `yaml:"default"`
	Choices     []any  `yaml:"choices"`
}

// Sidecar is where the module in the current directory (modules/<name>)
// keeps its documentation.
func Sidecar(t *testing.T) (name, path string) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	name = filepath.Base(wd)
	return name, filepath.Join(wd, "..", "..", "plugins", "modules", name+".yml")
}

// Check compares the sidecar of the module in the current directory with
// params, option by option.
func Check(t *testing.T, params any) {
	t.Helper()
	name, path := Sidecar(t)
	data, err := os.ReadFile(path)
	require.NoError(t, err, "every module needs a sidecar documentation file")
	var doc sidecar
	require.NoError(t, yaml.Unmarshal(data, &doc), "parsing %s", path)
	d := doc.Documentation
	require.Equal(t, name, d.Module, "%s: DOCUMENTATION.module", path)
	require.NotEmpty(t, d.ShortDescription, "%s: short_description", path)
	require.NotEmpty(t, d.Description, "%s: description", path)
	require.NotEmpty(t, doc.Examples, "%s: EXAMPLES", path)
	require.NotNil(t, doc.Return, "%s: RETURN", path)
	for _, attr := range []string{"check_mode", "diff_mode"} {
		require.Contains(t, d.Attributes, attr, "%s: attributes must say how %s is supported", path, attr)
	}

	spec, err := ansible.SpecOf(params)
	require.NoError(t, err)
	var documented []string
	for k := range d.Options {
		documented = append(documented, k)
	}
	sort.Strings(documented)
	require.Equal(t, spec.Names(), documented, "%s: documented options differ from the params struct", path)
	for _, o := range spec {
		do := d.Options[o.Name]
		require.NotEmpty(t, do.Description, "%s: option %s has no description", path, o.Name)
		require.Equal(t, o.Type, do.Type, "%s: type of option %s", path, o.Name)
		if o.Type == "list" {
			require.Equal(t, o.Elements, do.Elements, "%s: elements of option %s", path, o.Name)
		}
		require.Equal(t, o.Required, do.Required, "%s: required of option %s", path, o.Name)
		var choices []string
		for _, c := range do.Choices {
			choices = append(choices, scalar(c))
		}
		require.ElementsMatch(t, o.Choices, choices, "%s: choices of option %s", path, o.Name)
		if o.Default == nil {
			require.Nil(t, do.Default, "%s: option %s has no default in the code", path, o.Name)
			continue
		}
		require.NotNil(t, do.Default, "%s: option %s has default %q in the code", path, o.Name, *o.Default)
		want, err := o.Value(*o.Default)
		require.NoError(t, err)
		got, err := o.Value(jsonValue(t, do.Default))
		require.NoError(t, err, "%s: default of option %s", path, o.Name)
		if o.Type == "path" {
			got = *o.Default
			require.Equal(t, *o.Default, scalar(do.Default), "%s: default of option %s", path, o.Name)
		}
		require.True(t, reflect.DeepEqual(normal(want), normal(got)),
			"%s: default of option %s: documented %v, code %v", path, o.Name, got, want)
	}
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// jsonValue turns a YAML value into what the module would receive as JSON.
func jsonValue(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	require.NoError(t, d.Decode(&out))
	return out
}

// normal makes empty and nil slices and maps compare equal.
func normal(v any) any {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		if rv.Len() == 0 {
			return nil
		}
	}
	return v
}
