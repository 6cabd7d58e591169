#!/usr/bin/env bash
# Installs the load generator the runner drives, oha, into .tools/bin (project-local),
# from crates.io with its lock file (default features: oha 1.16 does not build without TLS).
set -euo pipefail
OHA_VERSION=1.16.0
root="$(cd "$(dirname "$0")/.." && pwd)/.tools"
if [ -x "$root/bin/oha" ] && "$root/bin/oha" --version | grep -q "$OHA_VERSION"; then
  exit 0
fi
cargo install oha --version "$OHA_VERSION" --locked --root "$root"
