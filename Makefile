# Haochaping (好差评督办) — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

CARGO ?= cargo
XVFB := xvfb-run -a -s "-screen 0 1366x800x24"
KEYRING := scripts/with-keyring.sh
# The server's conformance suite runs on SQLite and on a private PostgreSQL server.
POSTGRES := HCP_REQUIRE_POSTGRES=1 scripts/with-postgres.sh

.PHONY: run test deps ui ui-deps build lint unit api-fuzz ui-test e2e bindings screenshots server soak bench bench-deps clean package package-deps package-test

## Installs system packages, tauri-driver and the UI's npm packages (idempotent).
deps:
	scripts/install-system-deps.sh
	scripts/install-tools.sh
	$(MAKE) ui-deps

ui-deps: ui/node_modules/.package-lock.json

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund

## Builds the UI into ui/dist (the desktop app embeds it at compile time).
ui: ui-deps
	cd ui && npm run build

# Every build of the binaries (make run, make e2e, make screenshots) uses this one package
# selection, so that cargo resolves one feature set and `make run` after `make test` (or the other
# way round) reuses what was built instead of compiling ~80 crates again.
APP_BUILD := $(CARGO) build -p hcp-server -p haochaping

## Builds the server and the desktop app.
build: ui
	$(APP_BUILD)

## Runs the demo: seeded central server on 127.0.0.1:8787 plus the desktop app pointed at it.
run: deps build
	scripts/run-demo.sh

## Runs every test: formatting, lints, Rust unit and integration tests, UI tests, and the
## end-to-end test in a real window under Xvfb.
test: deps ui lint unit api-fuzz ui-test e2e

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p hcp-server --all-targets --features seed -- -D warnings
	@# The production server links no synthetic-data generator (only `--features seed` does).
	@! $(CARGO) tree -p hcp-server -e normal --prefix none | grep -q '^hcp-synth ' || { echo "hcp-server links hcp-synth without the seed feature" >&2; exit 1; }

unit:
	$(POSTGRES) $(KEYRING) $(CARGO) test --workspace --exclude hcp-tests
	@# The seed profiles (bench, province) live behind the `seed` feature: their load tests on both engines.
	$(POSTGRES) $(CARGO) test -p hcp-server --features seed --lib _profile_loads_on_
	$(CARGO) test -p hcp-tests --test scenarios
	HCP_SCENARIO_BACKEND=postgres $(POSTGRES) $(KEYRING) $(CARGO) test -p hcp-tests --test scenarios

## Schemathesis against the server's OpenAPI document, as a hall manager and as an administrator:
## no 5xx, every answer as documented, invalid requests refused (short form; `make soak` runs long).
api-fuzz: ui
	$(APP_BUILD)
	scripts/schemathesis.sh short

ui-test: ui-deps
	cd ui && npm run typecheck && npm test

e2e: ui
	$(APP_BUILD)
	$(XVFB) $(KEYRING) $(CARGO) test -p hcp-tests --test e2e -- --nocapture --test-threads=1

## Long forms of the slow suites: 10,000 crash-injected sync runs (about 25 minutes), with kills
## asserted in the middle of bootstraps and between a push being applied and its answer recorded;
## 200 sync cycles through the fault proxy (drop, delay, reset, truncate); 20,000 cases per
## property of the wire decoders' fuzzing.
soak: ui
	$(APP_BUILD)
	scripts/schemathesis.sh long
	HCP_CRASH_RUNS=10000 $(CARGO) test -p hcp-cli --test crash -- --nocapture
	HCP_FAULT_CYCLES=200 $(CARGO) test -p hcp-tests --test scenarios faults -- --nocapture
	HCP_FUZZ_CASES=20000 $(CARGO) test -p hcp-protocol --test fuzz

## The benchmarks of issue 9 (20–35 minutes on 2 cores, most of it PouchDB replicating the whole city): seeds the 1 M-rating city, measures
## bootstrap, sync, replica queries, server load on SQLite and PostgreSQL and the app's render
## times and the release desktop app's cold start under Xvfb, each beside its reference, and writes
## BENCHMARKS.md and bench/results.json (BENCH_ARGS="--skip-app" leaves the cold start out).
## BENCH_ARGS passes options to `hcp-bench run` (e.g. BENCH_ARGS="--pouchdb-cap-secs 120").
BENCH_BIN := $(or $(CARGO_TARGET_DIR),target)/release
BENCH_ARGS ?=
bench: bench-deps ui
	$(CARGO) build --release -p hcp-server -p hcp-bench -p haochaping --features hcp-server/seed
	HCP_TEST_POSTGRES_URL= scripts/with-postgres.sh $(BENCH_BIN)/hcp-bench run \
	  --server-bin $(BENCH_BIN)/hcp-server --app-bin $(BENCH_BIN)/haochaping --pouchdb-dir bench/pouchdb \
	  --out-md BENCHMARKS.md --out-json bench/results.json --command-line 'make bench$(if $(BENCH_ARGS), BENCH_ARGS="$(BENCH_ARGS)")' $(BENCH_ARGS)

bench-deps: bench/pouchdb/node_modules/.package-lock.json
	@command -v psql >/dev/null || scripts/install-system-deps.sh

bench/pouchdb/node_modules/.package-lock.json: bench/pouchdb/package.json bench/pouchdb/package-lock.json
	cd bench/pouchdb && npm ci --no-audit --no-fund

## Regenerates ui/src/api/bindings.ts from the Rust commands.
bindings:
	HCP_UPDATE_BINDINGS=1 $(CARGO) test -p haochaping typescript_bindings_are_fresh

## Refreshes the committed screenshots from an end-to-end run.
screenshots: ui
	$(APP_BUILD)
	HCP_SCREENSHOT_DIR=docs/screenshots $(XVFB) $(KEYRING) $(CARGO) test -p hcp-tests --test e2e -- --test-threads=1

## Installers in dist/: the desktop app's .deb and .rpm (Tauri bundler, with updater signatures)
## and the server's .deb (systemd unit, /etc/haochaping, system user). Release builds: 20–40
## minutes on 2 cores the first time. HCP_UPDATER_KEY=KEY signs them for updates with a real key
## (scripts/updater-keygen.sh); without it the TEST-ONLY key does (a warning says so).
package: deps ui package-deps
	scripts/package.sh

package-deps: packaging/node_modules/.package-lock.json
	scripts/install-system-deps.sh --package

packaging/node_modules/.package-lock.json: packaging/package.json packaging/package-lock.json
	cd packaging && npm ci --no-audit --no-fund

## The slow package tests (root; not part of `make test`): the desktop .deb installed with apt
## into a fresh Debian 12 root, started under Xvfb to its login screen and purged; the server .deb
## installed, served, backed up while intake writes, restored, compared, stopped and purged; the
## desktop update N -> N+1 through the updater with a pending outbox kept and tampered packages
## refused (builds N+1 first); the .rpm inspected with rpm.
package-test: package
	scripts/package-test.sh

server: build
	$(CARGO) run -q -p hcp-server -- seed --database sqlite://data/hcp-server.db --if-empty
	$(CARGO) run -q -p hcp-server -- serve --database sqlite://data/hcp-server.db

clean:
	$(CARGO) clean
	rm -rf ui/dist data
