# opslab: the two commands that matter are `make run` and `make test`.
# Each installs what it needs (Debian packages through apt-get) first.

GO          ?= go
# Every target builds with at least the toolchain go.mod's `toolchain` line
# names (standard-library security fixes; scripts/check-go.sh enforces the
# minimum). `auto` lets an older installed go fetch that toolchain once
# through the module proxy; it also overrides GOTOOLCHAIN=local from the
# environment.
export GOTOOLCHAIN := auto
BIN         := bin/opslab
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)
ADDR        ?= 127.0.0.1:8080
DATA        ?= ./data

# Debian packages: the sandboxes run real redis-server and PostgreSQL
# (postgresql: the server, initdb and psql); tests also drive real clients
# (redis-cli, kcat, psql) and a real browser (chromium).
RUN_PACKAGES  := redis-server redis-tools kcat jq gcc libc6-dev postgresql postgresql-client
TEST_PACKAGES := $(RUN_PACKAGES) chromium maven

# staticcheck, installed once into .cache/tools/staticcheck-<version>-<go>.
STATICCHECK_VERSION := v0.8.2
# govulncheck, installed once into .cache/tools/govulncheck-<version>.
GOVULNCHECK_VERSION := v1.10.0

.PHONY: run build test test-go test-short test-content lint vuln vendor-xterm go-version bench deps-run deps-test engine kafka-jars clean

## run: build and serve the built-in course on $(ADDR)
run: deps-run build
	$(BIN) serve --addr $(ADDR) --data $(DATA)

## build: compile bin/opslab; bin/opslab-kfake (static), which the process
## driver runs inside each Kafka sandbox's fence; bin/opslab-relay
## (static), which the container driver mounts into Kafka containers; and
## bin/opslab-workstation (static), the init of a learner's terminal
build:
	@scripts/check-go.sh
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/opslab
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/opslab-kfake ./cmd/opslab-kfake
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/opslab-relay ./cmd/opslab-relay
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/opslab-workstation ./cmd/opslab-workstation

## engine: make a Docker-compatible engine reachable (Docker, or Podman's
## service started here) with the sandbox images; prints export DOCKER_HOST=...
## and writes the same to bin/engine.env, which the test targets read
engine:
	@scripts/engine.sh

## kafka-jars: fetch Apache Kafka (broker and tools) from Maven Central
## into .cache/kafka-<version>, for --kafka apache; a no-op once there
kafka-jars:
	@scripts/ensure-packages.sh openjdk-17-jre-headless maven unzip
	@scripts/fetch-kafka.sh

## test: install what the tests need (packages, Apache Kafka's jars, a
## container engine with the sandbox images), check for known reachable
## vulnerabilities, then run every test (race detector on), then lint and
## test every exercise of the built-in course with the process driver and
## with the container driver; lint (vet, gofmt, staticcheck) runs first
test: deps-test kafka-jars engine vuln lint test-go test-content

test-content: build
	$(BIN) lint
	$(BIN) test --junit bin/exercises-junit.xml
	$(BIN) test --kafka apache --runs 1 --junit bin/exercises-kafka-apache-junit.xml
	. bin/engine.env && $(BIN) test --sandbox container --runs 1 --junit bin/exercises-container-junit.xml

test-go: build
	$(GO) vet ./...
	. bin/engine.env && CI=$${CI:-true} OPSLAB_KFAKE_BINARY=$(CURDIR)/bin/opslab-kfake OPSLAB_WORKSTATION_BINARY=$(CURDIR)/bin/opslab-workstation $(GO) test -race -count=1 -timeout 30m ./...

## test-short: the fast tests only (go test -short: no browser, end-to-end
## server, container, Apache Kafka or long sandbox tests; those skip
## themselves and run in `make test`); needs redis-server and friends
## (make deps-test) but no engine and no Kafka jars
test-short: build
	OPSLAB_KFAKE_BINARY=$(CURDIR)/bin/opslab-kfake OPSLAB_WORKSTATION_BINARY=$(CURDIR)/bin/opslab-workstation $(GO) test -short -count=1 ./...

## lint: vet, gofmt (fails on any file it would change or cannot read)
## and staticcheck (installed into .cache/tools on first use)
lint:
	@scripts/check-go.sh
	@STATICCHECK_VERSION=$(STATICCHECK_VERSION) GO=$(GO) scripts/lint.sh

## vuln: fail if govulncheck finds a known vulnerability that opslab's code
## can reach (standard library included), checked against a database built
## locally from golang.org/x/vulndb (scripts/vulndb.sh)
vuln:
	@scripts/check-go.sh
	@GOVULNCHECK_VERSION=$(GOVULNCHECK_VERSION) GO=$(GO) scripts/vuln.sh

## vendor-xterm: refresh the terminal's front end (@xterm/xterm and
## @xterm/addon-fit from the npm registry) in web/static, with their
## versions and licences in web/vendor
vendor-xterm:
	scripts/vendor-xterm.sh

## go-version: print the Go toolchain the targets build with
go-version:
	@$(GO) version

## bench: run the benchmarks recorded in docs/benchmarks.md
bench: deps-test kafka-jars engine
	scripts/bench.sh

deps-run:
	@scripts/ensure-packages.sh $(RUN_PACKAGES)

deps-test:
	@scripts/ensure-packages.sh $(TEST_PACKAGES)

clean:
	rm -rf bin
