#!/usr/bin/env bash
# Create .venv and install the locked dependencies into it (make install).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

python=$(find_python) || die "Python 3.11+ not found. Debian/Ubuntu: apt-get install python3 python3-venv; other systems: install Python 3.11 from your package manager."
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $($python --version)"
  if ! "$python" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    die "$python cannot create virtual environments. Debian/Ubuntu: apt-get install python3-venv"
  fi
fi
say "installing locked Python dependencies"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
  -r requirements/dev.lock
