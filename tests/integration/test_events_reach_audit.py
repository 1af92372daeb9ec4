"""Events travel from each service's outbox through JetStream into audit, once, in one trace —
also across a NATS outage or an audit outage, after which the chain still verifies."""

import asyncio
import secrets

import asyncpg
import httpx

from authmesh_kit.stack.supervisor import Stack
from tests.audit import verify_over_grpc
from tests.conftest import unique_email


async def audit_types(stack: Stack, user_id: str) -> list[str]:
    conn = await asyncpg.connect(stack.database_url("audit"))
    try:
        rows = await conn.fetch(
            # Risk's decisions on the sign-ins come besides; their own tests count them.
            "SELECT type FROM audit.entries WHERE user_id = $1 AND type NOT LIKE 'auth.risk.%'"
            " ORDER BY event_id",
            user_id,
        )
    finally:
        await conn.close()
    return [row["type"] for row in rows]


async def wait_for_types(
    stack: Stack, user_id: str, expected: list[str], timeout_s: float
) -> list[str]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = await audit_types(stack, user_id)
        if sorted(found) == sorted(expected) or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def test_each_step_is_an_audit_entry_in_the_request_trace(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    trace_id = secrets.token_hex(16)
    client.headers["traceparent"] = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    email = unique_email()
    user = (
        await client.post(
            "/api/auth/sign-up/email", json={"name": "T", "email": email, "password": "pw-12345678"}
        )
    ).json()["user"]
    await client.post("/api/auth/sign-out")
    await client.post("/api/auth/sign-in/email", json={"email": email, "password": "wrong-pass"})
    await client.post("/api/auth/sign-in/email", json={"email": email, "password": "pw-12345678"})

    expected = [
        "auth.identity.user.created.v1",
        "auth.identity.email_verification.requested.v1",  # sent on sign-up
        "auth.session.session.created.v1",
        "auth.session.session.revoked.v1",
        "auth.identity.sign_in.failed.v1",
        "auth.session.session.created.v1",
    ]
    assert sorted(await wait_for_types(stack, user["id"], expected, 10)) == sorted(expected)
    conn = await asyncpg.connect(stack.database_url("audit"))
    try:
        traces = await conn.fetch(
            "SELECT traceparent, ip FROM audit.entries WHERE user_id = $1", user["id"]
        )
    finally:
        await conn.close()
    assert all(row["traceparent"].split("-")[1] == trace_id for row in traces)
    assert all(row["ip"] == client.headers["X-Forwarded-For"] for row in traces)


async def test_sign_ups_during_a_nats_outage_reach_audit_once_it_is_back(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    await stack.stop_nats()
    try:
        users = []
        for _ in range(3):
            response = await client.post(
                "/api/auth/sign-up/email",
                json={"name": "N", "email": unique_email(), "password": "pw-12345678"},
            )
            assert response.status_code == 200, response.text
            users.append(response.json()["user"]["id"])
        signed_in = await client.get("/api/auth/get-session")
        assert signed_in.json()["user"]["id"] == users[-1]
    finally:
        await stack.start_nats()
    expected = [
        "auth.identity.user.created.v1",
        "auth.identity.email_verification.requested.v1",  # sent on sign-up
        "auth.session.session.created.v1",
    ]
    for user_id in users:
        assert sorted(await wait_for_types(stack, user_id, expected, 20)) == sorted(expected)
    assert (await verify_over_grpc(stack)).ok


async def test_events_wait_in_the_stream_while_audit_is_down(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    await stack.stop_service("audit")
    try:
        users = []
        for _ in range(3):
            response = await client.post(
                "/api/auth/sign-up/email",
                json={"name": "A", "email": unique_email(), "password": "pw-12345678"},
            )
            assert response.status_code == 200, response.text
            users.append(response.json()["user"]["id"])
    finally:
        await stack.start_service("audit")
    expected = [
        "auth.identity.user.created.v1",
        "auth.identity.email_verification.requested.v1",
        "auth.session.session.created.v1",
    ]
    for user_id in users:
        assert sorted(await wait_for_types(stack, user_id, expected, 20)) == sorted(expected)
    conn = await asyncpg.connect(stack.database_url("audit"))
    try:
        created = await conn.fetch(
            "SELECT user_id FROM audit.entries WHERE user_id = ANY($1::text[])"
            " AND type = 'auth.identity.user.created.v1' ORDER BY sequence",
            users,
        )
    finally:
        await conn.close()
    # Chained in the order the stream delivered them: the order they were published in.
    assert [row["user_id"] for row in created] == users
    assert (await verify_over_grpc(stack)).ok
