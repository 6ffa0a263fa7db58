# gating.containers: build the Go modules, package and test the collection.
SHELL := /bin/bash
GO ?= go
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := dist/gating-containers-$(VERSION).tar.gz
# Static, stripped and reproducible: the same source gives the same bytes.
GOBUILD := CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -buildvcs=false -ldflags="-s -w -buildid="

.PHONY: all build collection install test unit smoke integration molecule lint clean
all: build

build:
	$(GOBUILD) -o plugins/modules/ ./modules/...

collection: build
	@mkdir -p dist
	ansible-galaxy collection build --force --output-path dist .

install: collection
	ansible-galaxy collection install --force $(TARBALL)

# Everything CI runs.
test: lint unit smoke integration molecule

unit:
	$(GO) test -race -count=1 ./...

# Every built binary, run the way Ansible runs it.
smoke: build
	$(GO) test -count=1 -tags smoke ./tests/smoke/

integration: collection
	tests/run-integration

molecule: install
	tests/run-molecule

lint: collection
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(GO) vet ./...
	tests/run-ansible-lint

clean:
	rm -rf dist tests/output
	find plugins/modules -type f ! -name '*.yml' ! -name '*.py' -delete
