"""Helpers for tests that read the audit trail: its entries in Postgres and its chain check over
gRPC (as the gateway calls it)."""

import asyncpg
import grpc

from authmesh.audit.v1 import audit_pb2, audit_pb2_grpc
from authmesh_kit.grpc.service_auth import ServiceTokenIssuer
from authmesh_kit.stack.supervisor import Stack


async def audit_payloads(stack: Stack, user_id: str, event_type: str) -> list[str]:
    """The audit entries of one event type for a user, as JSON text."""
    conn = await asyncpg.connect(stack.database_url("audit"))
    try:
        rows = await conn.fetch(
            "SELECT payload::text AS payload FROM audit.entries WHERE user_id = $1 AND type = $2",
            user_id,
            event_type,
        )
    finally:
        await conn.close()
    return [str(row["payload"]) for row in rows]


async def verify_over_grpc(stack: Stack) -> audit_pb2.VerifyChainResponse:
    token = ServiceTokenIssuer("gateway", stack.plan.key_pairs["gateway"][0]).token_for("audit")
    async with grpc.aio.insecure_channel(stack.addr("audit")) as channel:
        stub = audit_pb2_grpc.AuditServiceStub(channel)
        return await stub.VerifyChain(
            audit_pb2.VerifyChainRequest(),
            metadata=(("authorization", f"Bearer {token}"),),
            timeout=60,
        )
