#!/usr/bin/env bash
# ruff (lint and format) over the repository; mypy --strict over the kit and every service.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=.venv/bin
"$bin/ruff" check .
"$bin/ruff" format --check .
shopt -s nullglob
# Sources in one run (their packages have distinct names); each tests folder on its own,
# because test modules of different projects may share a name (conftest, test_settings...).
"$bin/mypy" kit/src services/*/src
for tests in kit/tests services/*/tests tests; do
  if [ -n "$(find "$tests" -name '*.py' -print -quit)" ]; then
    "$bin/mypy" "$tests"
  fi
done
