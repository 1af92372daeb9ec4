#!/usr/bin/env bash
# Regenerates proto/gen from proto/authmesh (messages, gRPC stubs and .pyi type stubs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
out=${1:-$root/proto/gen}
rm -rf "$out/authmesh"
mkdir -p "$out"
cd "$root/proto"
"$python" -m grpc_tools.protoc -I . --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  $(find authmesh -name '*.proto' | sort)
find "$out/authmesh" -type d -exec touch {}/__init__.py \;
touch "$out/authmesh/py.typed"
