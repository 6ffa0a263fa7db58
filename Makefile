# gating.containers: build the Go modules, package and test the collection.
SHELL := /bin/bash
GO ?= go
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := dist/gating-containers-$(VERSION).tar.gz
# Static, stripped and reproducible: the same source gives the same bytes.
GOBUILD := CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -buildvcs=false -ldflags="-s -w -buildid="
MODULES := $(notdir $(wildcard modules/*))
# The Python of the collection and of the tests: the action plugins, the Zuul
# stand-in's zuul_return, the end-to-end flow's checkers.
PYTHON := plugins tests/zuul/library tests/e2e/snapshot tests/e2e/no-secrets tests/e2e/summary

.PHONY: all build collection install test unit smoke docs conformance e2e fuzz integration molecule flow demo lint bench clean
all: build

# linux/amd64 into plugins/modules (the files Ansible resolves), every other
# platform into plugins/bin/<os>_<arch>; plugins/bin/SHA256SUMS lists them all
# for the action plugins, which pick a build per host and cache it there.
build:
	GOARCH=amd64 $(GOBUILD) -o plugins/modules/ ./modules/...
	GOARCH=arm64 $(GOBUILD) -o plugins/bin/linux_arm64/ ./modules/...
	cd plugins && sha256sum $(addprefix modules/,$(MODULES)) $(addprefix bin/linux_arm64/,$(MODULES)) > bin/SHA256SUMS.tmp
	mv plugins/bin/SHA256SUMS.tmp plugins/bin/SHA256SUMS

collection: build
	@mkdir -p dist
	ansible-galaxy collection build --force --output-path dist .

# Into Ansible's default path for the user, or the first directory of
# ANSIBLE_COLLECTIONS_PATH when that is set.
install: collection
	ansible-galaxy collection install --force $(if $(ANSIBLE_COLLECTIONS_PATH),-p $(firstword $(subst :, ,$(ANSIBLE_COLLECTIONS_PATH)))) $(TARBALL)

# Everything CI runs.
test: lint unit smoke docs conformance e2e fuzz integration molecule flow

unit:
	$(GO) test -race -count=1 ./...

# Every built binary (amd64 and, under qemu-user, arm64), run the way Ansible
# and the action plugins run it; the tarball carries every build.
smoke: collection
	$(GO) test -count=1 -tags smoke ./tests/smoke/

# ansible-doc renders every module and role of the installed collection.
docs: install
	@set -e; for m in $(MODULES); do ansible-doc -t module gating.containers.$$m >/dev/null; echo "ansible-doc $$m: ok"; done
	@set -e; for f in $(basename $(notdir $(wildcard plugins/filter/*.py))); do ansible-doc -t filter gating.containers.$$f >/dev/null; echo "ansible-doc filter $$f: ok"; done
	@set -e; for r in $$(ls roles); do [ -L roles/$$r ] || { ansible-doc -t role gating.containers.$$r >/dev/null; echo "ansible-doc role $$r: ok"; }; done

# The official OCI distribution-spec suite against the real registry binary.
conformance: build
	tests/conformance/run

# The registry binary with real clients (skopeo, docker), attacks and kill -9.
e2e: build
	$(GO) test -count=1 -tags e2e ./tests/registry/

# Every fuzz target, briefly (FUZZTIME per target, default 5s).
fuzz:
	tests/run-fuzz

integration: collection
	tests/run-integration

molecule: install
	tests/run-molecule

# The whole speculative image flow through the example jobs' playbooks, run
# by the Zuul stand-in, with the buildset registry on ::1 (the IPv6 path:
# the /etc/hosts alias, [::1] on the executor); make demo runs it over IPv4.
flow: install
	tests/e2e/run --ipv6

# The main job: the flow over IPv4, with its summary.
demo: install
	tests/e2e/run

lint: collection
	@out=$$(gofmt -l modules module_utils tests); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(GO) vet ./...
	/usr/bin/python3 -m pyflakes $(PYTHON)
	/usr/bin/python3 -m pycodestyle --max-line-length=120 $(PYTHON)
	tests/run-ansible-lint

# Per-task cost of a Go module against ansible.builtin.stat, in one run.
bench: install
	tests/bench/run

clean:
	rm -rf dist tests/output plugins/bin
	find plugins/modules -type f ! -name '*.yml' ! -name '*.py' -delete
