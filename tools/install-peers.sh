#!/usr/bin/env bash
# Installs the peer frameworks into .venv-peers (separate from .venv, so their
# dependencies never mix with Spikard's).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
stamp=.venv-peers/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt tools/requirements-peers.txt ]; then
  exit 0
fi
[ -x .venv-peers/bin/python ] || "$PYTHON" -m venv .venv-peers
.venv-peers/bin/python -m pip install --quiet --upgrade pip
.venv-peers/bin/python -m pip install --quiet -r tools/requirements-peers.txt
touch "$stamp"
