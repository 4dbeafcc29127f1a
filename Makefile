# Shortcuts for the npm scripts and dev tools. `make help` lists them.
# Extra arguments go through ARGS, e.g. `make bench ARGS=raft`, `make up NODES=5`.
ARGS ?=
NODES ?= 3

.PHONY: help build test test-unit test-e2e lint format bench up docker ci clean

help:
	@echo 'make build            compile TypeScript to dist/'
	@echo 'make test             build and run every test (as CI does)'
	@echo 'make test-unit        unit tests only'
	@echo 'make test-e2e         end-to-end tests (needs Docker: make docker)'
	@echo 'make lint             eslint + prettier --check'
	@echo 'make format           prettier --write + eslint --fix'
	@echo 'make bench ARGS=raft  benchmarks (JSON lines)'
	@echo 'make up NODES=3       local cluster (jobctl dev up)'
	@echo 'make docker           install/start Docker and import the busybox image (root)'
	@echo 'make ci               what CI runs (bash .ci/run)'
	@echo 'make clean            remove build output and local cluster data'

# npm rewrites node_modules/.package-lock.json on every install: reinstall only when
# the lock file is newer than the last install.
NODE_MODULES := node_modules/.package-lock.json
$(NODE_MODULES): package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(NODE_MODULES)
	npm run build

test: $(NODE_MODULES)
	npm test

test-unit: $(NODE_MODULES)
	npm run test:unit

test-e2e: build
	node hack/run-tests.mjs e2e

lint: $(NODE_MODULES)
	npm run lint

format: $(NODE_MODULES)
	npm run format

bench: $(NODE_MODULES)
	npm run bench -- $(ARGS)

up: build
	node dist/cmd/jobctl.js dev up --nodes $(NODES) $(ARGS)

docker:
	bash hack/ci-setup.sh

ci:
	bash .ci/run

clean:
	rm -rf dist .jobctl-dev .bench test-artifacts
