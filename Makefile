# The one entry point for people, hooks and CI. Everything installs itself into the repo:
# .venv (Python tools and the built extension), .tools (oha), target/ (Rust builds).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PKG := packages/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)
export PYO3_PYTHON := $(CURDIR)/$(PY)

BENCH := target/release/spikard-bench
OHA := .tools/bin/oha

.PHONY: help venv build bench-build tools test test-rust test-python test-bench check-core \
	bench bench-peers bench-micro fuzz soak lint fmt serve clean

help:
	@echo "make bench        spikard-python vs spikard-rust vs rust-baseline -> results/latest.{json,html}"
	@echo "make bench-peers  the same plus FastAPI, Starlette, Robyn and Granian"
	@echo "make build   build the extension (release) into .venv"
	@echo "make test    cargo tests + pytest through real servers"
	@echo "make serve   serve workloads/apps/python/app.py on 127.0.0.1:8000"
	@echo "make fuzz    each cargo-fuzz target for FUZZ_SECONDS (600) -> results/fuzz.txt"
	@echo "make soak    1M requests, 100k that raise, SIGTERM under load -> results/soak.json"
	@echo "make lint    rustfmt, clippy -D warnings, ruff, mypy"
	@echo "make fmt     format Rust and Python"

$(VENV)/.installed: tools/requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r tools/requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

build: venv
	cd $(PKG) && maturin develop --release --quiet

# Release binaries for the runner and the Rust targets, and oha.
bench-build: build
	cargo build --release -p spikard-bench -p rust-baseline -p spikard-rust-app
	tools/install-oha.sh

bench: bench-build
	$(BENCH) run --targets spikard-python,spikard-rust,rust-baseline \
		--workloads json-small,path-simple,query-few \
		--output results/latest.json --html results/latest.html

bench-peers: bench-build
	tools/install-peers.sh
	$(BENCH) run --targets spikard-python,spikard-rust,rust-baseline,fastapi,starlette,robyn,granian \
		--workloads json-small,async-json-small,path-simple,query-few \
		--output results/latest.json --html results/latest.html

# Micro-benchmarks: Spikard's JSON converters against orjson (pytest-benchmark) and the
# Rust core (criterion). Each checks its output before it is timed.
bench-micro: build
	$(PY) -m pytest $(PKG)/benchmarks -q --benchmark-columns=median,ops --benchmark-sort=name
	cargo bench -p spikard-core --bench core

test: build test-rust check-core test-python test-bench

# With the `fuzzing` feature: tests/fuzz_regressions.rs replays the fuzzers' found inputs.
test-rust:
	cargo test --workspace --exclude spikard-py --features spikard-core/fuzzing

# spikard-core must stay pure Rust: no pyo3 anywhere in its dependency tree.
check-core:
	@if cargo tree -p spikard-core -e normal,build --prefix none | grep -qE '^pyo3'; then \
		echo "spikard-core depends on pyo3"; exit 1; \
	else echo "spikard-core: no pyo3 in its dependency tree"; fi

# Includes the /docs page opened in headless Chromium and schemathesis against /openapi.json.
test-python: build
	tools/install-chromium.sh
	$(PY) -m pytest $(PKG)/tests -q

# The runner end to end (a --quick run on real servers), its schema and its HTML report.
test-bench: bench-build
	tools/install-chromium.sh
	$(PY) -m pytest workloads/tests -q

# Fuzzing (nightly, libFuzzer): FUZZ_SECONDS per target, one after the other, on one core.
FUZZ_SECONDS ?= 600
fuzz:
	tools/install-cargo-fuzz.sh
	tools/fuzz.sh $(FUZZ_SECONDS)

# Soak and fault runs against a release build (bounded: a few minutes on two cores).
soak: bench-build
	$(PY) tools/soak.py --output results/soak.json

lint: venv
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features spikard-core/fuzzing -- -D warnings
	ruff check $(PKG) workloads tools examples
	ruff format --check $(PKG) workloads tools examples
	cd $(PKG) && mypy

fmt: venv
	cargo fmt --all
	ruff format $(PKG) workloads tools examples
	ruff check --fix $(PKG) workloads tools examples

serve: build
	$(PY) -m spikard run workloads/apps/python/app.py:app --host 127.0.0.1 --port 8000

clean:
	cargo clean
	rm -rf $(VENV)
