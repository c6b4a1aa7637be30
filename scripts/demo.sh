#!/usr/bin/env bash
# Set up (idempotent) and play the demo: no token, no network.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e .
.venv/bin/dutybot demo "$@"
