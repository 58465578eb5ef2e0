#!/usr/bin/env bash
# Creates .venv (if missing) and installs prefmarket with its test tools.
# torch is pinned to 2.13.0 first so a fresh machine takes the small CPU build;
# see README "Installing torch" for CUDA or other platforms.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[test]"
