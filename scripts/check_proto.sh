#!/usr/bin/env bash
# Fails if proto/gen differs from a fresh generation: the generated code is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
"$root/scripts/gen_proto.sh" "$fresh"
if ! diff -r -x __pycache__ "$fresh/authmesh" "$root/proto/gen/authmesh"; then
  echo "proto/gen is stale: run 'make proto' and commit the result" >&2
  exit 1
fi
