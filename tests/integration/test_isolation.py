"""Each service runs as its own Postgres role, which can read its own schema only; each gRPC
method answers only the services it names."""

import asyncpg
import grpc
import pytest

from authmesh.identity.v1 import identity_pb2, identity_pb2_grpc
from authmesh_kit.settings import DATABASE_SERVICES
from authmesh_kit.stack.supervisor import Stack


async def test_every_service_is_connected_as_its_own_role(stack: Stack) -> None:
    conn = await asyncpg.connect(stack.admin_database_url)
    try:
        rows = await conn.fetch(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database()"
        )
    finally:
        await conn.close()
    connected = {row["usename"] for row in rows}
    for service in DATABASE_SERVICES:
        assert f"{stack.namespace}_{service}" in connected


@pytest.mark.parametrize(
    "foreign_query",
    ["SELECT * FROM session.sessions LIMIT 1", "SELECT * FROM audit.entries LIMIT 1"],
)
async def test_identity_role_cannot_read_another_schema(stack: Stack, foreign_query: str) -> None:
    conn = await asyncpg.connect(stack.database_url("identity"))
    try:
        assert await conn.fetchval("SELECT count(*) >= 0 FROM identity.users")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch(foreign_query)
    finally:
        await conn.close()


async def test_rpc_refuses_calls_without_a_service_token(stack: Stack) -> None:
    async with grpc.aio.insecure_channel(stack.addr("identity")) as channel:
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.VerifyPassword(identity_pb2.VerifyPasswordRequest(email="a@b.test"))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
