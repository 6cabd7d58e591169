#!/usr/bin/env bash
# cargo-fuzz (pinned, with its lock file) into .tools/bin, and the nightly toolchain it needs.
set -euo pipefail
CARGO_FUZZ_VERSION=0.13.2
root="$(cd "$(dirname "$0")/.." && pwd)/.tools"
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if [ -x "$root/bin/cargo-fuzz" ] && "$root/bin/cargo-fuzz" --version | grep -q "$CARGO_FUZZ_VERSION"; then
  exit 0
fi
cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$root"
