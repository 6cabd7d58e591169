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

.PHONY: help venv build test test-rust test-python check-core lint fmt serve clean

help:
	@echo "make build   build the extension (release) into .venv"
	@echo "make test    cargo tests + pytest through real servers"
	@echo "make serve   serve workloads/apps/python/app.py on 127.0.0.1:8000"
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

test: build test-rust check-core test-python

test-rust:
	cargo test --workspace --exclude spikard-py

# spikard-core must stay pure Rust: no pyo3 anywhere in its dependency tree.
check-core:
	@if cargo tree -p spikard-core -e normal,build --prefix none | grep -qE '^pyo3'; then \
		echo "spikard-core depends on pyo3"; exit 1; \
	else echo "spikard-core: no pyo3 in its dependency tree"; fi

test-python: build
	$(PY) -m pytest $(PKG)/tests -q

lint: venv
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	ruff check $(PKG) workloads tools
	ruff format --check $(PKG) workloads tools
	cd $(PKG) && mypy

fmt: venv
	cargo fmt --all
	ruff format $(PKG) workloads tools
	ruff check --fix $(PKG) workloads tools

serve: build
	$(PY) -m spikard run workloads/apps/python/app.py:app --host 127.0.0.1 --port 8000

clean:
	cargo clean
	rm -rf $(VENV)
