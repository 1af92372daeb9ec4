#!/usr/bin/env bash
# Regenerates proto/gen from proto/authmesh (messages, gRPC stubs and their .pyi type stubs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
out=${1:-$root/proto/gen}
rm -rf "$out/authmesh"
mkdir -p "$out"
cd "$root/proto"
# mypy-protobuf writes the .pyi stubs of messages and of the gRPC stubs and servicers.
PATH="$(dirname "$python"):$PATH" "$python" -m grpc_tools.protoc -I . \
  --python_out="$out" --grpc_python_out="$out" --mypy_out="$out" --mypy_grpc_out="$out" \
  $(find authmesh -name '*.proto' | sort)
find "$out/authmesh" -type d -exec touch {}/__init__.py \;
touch "$out/authmesh/py.typed"
