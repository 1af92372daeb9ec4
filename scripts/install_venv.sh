#!/usr/bin/env bash
# Creates .venv if missing and installs every part of the repository into it, editable,
# pinned by constraints.txt. Services are installed as their pyproject.toml files appear.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -x .venv/bin/python ] || python3 -m venv .venv
projects=(-e proto -e 'kit[embedded]')
for pyproject in services/*/pyproject.toml; do
  [ -e "$pyproject" ] && projects+=(-e "$(dirname "$pyproject")")
done
.venv/bin/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt "${projects[@]}"
touch .venv/.installed
