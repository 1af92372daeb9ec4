"""The supervisor, run against stand-in services that honour the process contract.

Each stand-in `authmesh_<svc>` migrates by creating a table as its own role, serves the
standard gRPC health check (the gateway: `GET /api/auth/ok`), and prints the names of the
AUTHMESH_ variables it received.
"""

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from authmesh_kit.crypto.key_ring import new_key_ring_spec
from authmesh_kit.settings import DATABASE_SERVICES, SERVICE_NAMES
from authmesh_kit.stack.backing import Backing, fresh_backing
from authmesh_kit.stack.plan import StackSpec
from authmesh_kit.stack.supervisor import ManagedProcess, Stack, StackError, grpc_serving, http_ok

pytestmark = pytest.mark.integration

STAND_IN = """
import asyncio, json, os, signal, sys

import asyncpg
import grpc
from grpc_health.v1 import health, health_pb2_grpc

NAME = sys.argv[1]


async def ok(reader, writer):
    await reader.readline()
    writer.write(b"HTTP/1.1 200 OK\\r\\ncontent-length: 0\\r\\n\\r\\n")
    await writer.drain()
    writer.close()


async def serve():
    print(json.dumps(sorted(k for k in os.environ if k.startswith("AUTHMESH_"))), flush=True)
    if os.environ.get("STAND_IN_CRASH") == NAME:
        sys.exit("stand-in crashed on purpose")
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    if NAME == "gateway":
        await asyncio.start_server(ok, "127.0.0.1", int(os.environ["AUTHMESH_GATEWAY_PORT"]))
    else:
        server = grpc.aio.server()
        health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
        server.add_insecure_port(os.environ["AUTHMESH_GRPC_LISTEN"])
        await server.start()
    await stopping.wait()


async def migrate():
    connection = await asyncpg.connect(os.environ[f"AUTHMESH_{NAME.upper()}_DATABASE_URL"])
    await connection.execute(f"CREATE TABLE IF NOT EXISTS {NAME}.migrated (id int)")
    await connection.close()


asyncio.run(serve() if sys.argv[2] == "serve" else migrate())
"""


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stand_ins")
    (root / "stand_in.py").write_text(STAND_IN)
    for name in SERVICE_NAMES:
        package = root / f"authmesh_{name}"
        package.mkdir()
        (package / "__init__.py").write_text("")
        main = f"import runpy, sys\nsys.argv[1:1] = [{name!r}]\nrunpy.run_module('stand_in')\n"
        (package / "__main__.py").write_text(main)
    return root


@pytest.fixture(scope="module")
async def own_backing(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Backing]:
    # Not the session's: the stand-ins' tables must not meet the real services' migrations.
    async with fresh_backing(tmp_path_factory.mktemp("supervisor")) as backing:
        yield backing


def make_stack(
    backing: Backing,
    stand_ins: Path,
    log_dir: Path,
    services: tuple[str, ...] = SERVICE_NAMES,
    **extra_env: str,
) -> Stack:
    env = {**os.environ, "PYTHONPATH": str(stand_ins), "AUTHMESH_LEAK": "1", **extra_env}
    spec = StackSpec(
        secret="s" * 43,
        encryption_keys=new_key_ring_spec(),
        admin_email="admin@authmesh.test",
        admin_password="pw",
    )
    return Stack.create(spec, backing, log_dir=log_dir, parent_env=env, services=services)


async def test_the_stack_starts_restarts_and_stops(
    own_backing: Backing, stand_ins: Path, tmp_path: Path
) -> None:
    stack = make_stack(own_backing, stand_ins, tmp_path)
    async with stack:
        for name in SERVICE_NAMES:
            if name != "gateway":
                assert await grpc_serving(stack.addr(name)), name
        assert await http_ok(stack.plan.gateway_port, "/api/auth/ok")

        await stack.stop_service("identity")
        assert not await grpc_serving(stack.addr("identity"))
        await stack.start_service("identity")
        assert await grpc_serving(stack.addr("identity"))
        with pytest.raises(StackError, match="already running"):
            await stack.start_service("identity")

        received = json.loads((tmp_path / "gateway.log").read_text().splitlines()[0])
        sent = [key for key in stack.plan.env("gateway") if key.startswith("AUTHMESH_")]
        assert received == sorted(sent)
        assert "AUTHMESH_LEAK" not in received

    assert not await grpc_serving(stack.addr("session"))
    admin = await asyncpg.connect(own_backing.database_url)
    try:
        migrated = await admin.fetch(
            "SELECT schemaname FROM pg_tables WHERE tablename = 'migrated'"
        )
    finally:
        await admin.close()
    assert {row["schemaname"] for row in migrated} == set(DATABASE_SERVICES)


async def test_a_service_that_exits_early_fails_the_start_with_its_log(
    own_backing: Backing, stand_ins: Path, tmp_path: Path
) -> None:
    stack = make_stack(own_backing, stand_ins, tmp_path, ("identity", "org"), STAND_IN_CRASH="org")
    with pytest.raises(StackError, match=r"(?s)org exited with code 1.*crashed on purpose"):
        await stack.start()
    assert not await grpc_serving(stack.addr("identity"))


async def test_nats_stops_and_starts_on_the_same_port(own_backing: Backing, tmp_path: Path) -> None:
    stack = Stack.create(
        StackSpec(secret="s", encryption_keys=new_key_ring_spec()),
        own_backing,
        log_dir=tmp_path,
        services=(),
    )
    port = own_backing.nats_server.port if own_backing.nats_server else 0
    await stack.stop_nats()
    assert own_backing.nats_server is not None
    assert not own_backing.nats_server.running
    await stack.start_nats()
    assert own_backing.nats_server.running
    assert own_backing.nats_server.port == port


async def test_output_goes_to_the_terminal_prefixed_even_in_long_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = "print('first'); print('x' * 200000); print('last', end='')"
    process = ManagedProcess("printer", [sys.executable, "-c", code], os.environ, None)
    await process.start()
    assert await process.wait() == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{'printer':>16} | first"
    assert len(lines[1]) == 200000 + 19
    assert lines[2].endswith("| last")
    assert lines[3].endswith("| exited with code 0")
    assert process.tail().endswith("exited with code 0")


async def test_a_process_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "print('up', flush=True); time.sleep(60)"
    )
    process = ManagedProcess(
        "stubborn", [sys.executable, "-c", code], os.environ, tmp_path / "s.log"
    )
    await process.start()
    for _ in range(500):
        if "up" in process.tail():
            break
        await asyncio.sleep(0.02)
    await process.stop(grace_s=0.3)
    assert process.returncode == -signal.SIGKILL
