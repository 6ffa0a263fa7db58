package main

import (
	"testing"

	"github.com/gating/containers/module_utils/ansible/doccheck"
)

func TestDocs(t *testing.T) { doccheck.Check(t, params{}) }
