#!/usr/bin/env bash
# Runs the whole test suite with the venv's python (made by ./install.sh), then ruff.
#   ./test.sh                  # everything
#   ./test.sh test/core -k stgcn   # arguments go to pytest
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$ROOT/.venv"
[[ -x "$VENV/bin/pytest" ]] || { echo "test.sh: $VENV missing; run ./install.sh first" >&2; exit 1; }

# DDS stays on loopback, each run in its own domain so parallel runs never cross.
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
export ROS_DOMAIN_ID="${ROS_DOMAIN_ID:-$((RANDOM % 100 + 1))}"
export YOLO_OFFLINE=1 YOLO_AUTOINSTALL=0

cd "$ROOT"
echo "==> ruff check"
"$VENV/bin/ruff" check .
echo "==> pytest (ROS_DOMAIN_ID=$ROS_DOMAIN_ID)"
# The pytest script (not `python -m pytest`) keeps the repository root off sys.path, so tests import
# the installed package the way users do.
"$VENV/bin/pytest" "${@:-test}"
