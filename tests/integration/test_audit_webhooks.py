"""SIEM webhooks and retention, run here in-process against the stack's audit database (the
stack's own audit service has neither configured): real HTTP endpoints that fail, recover or
never answer, and a retention run after which the chain still verifies from its anchor."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
import grpc
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from authmesh.audit.v1 import audit_pb2, audit_pb2_grpc
from authmesh_audit.settings import parse_duration
from authmesh_audit.store.retention import PostgresRetention
from authmesh_audit.store.webhooks import PostgresWebhookStore
from authmesh_audit.webhooks.deliverer import WebhookDeliverer, WebhookPolicy
from authmesh_audit.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from authmesh_kit.db.engine import create_engine
from authmesh_kit.grpc.service_auth import ServiceTokenIssuer
from authmesh_kit.stack.plan import free_ports
from authmesh_kit.stack.supervisor import Stack
from tests.conftest import browser, unique_email
from tests.database import fetch
from tests.waiting import eventually

SECRET = b"webhook-secret-for-tests"
PASSWORD = "pw-12345678"


@dataclass
class Receiver:
    """An HTTP endpoint (an ASGI app under uvicorn) that refuses its first `failures` requests
    with a 503 and accepts the rest, keeping every request."""

    failures: int = 0
    requests: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        status = 503 if len(self.requests) < self.failures else 200
        self.requests.append((headers, body, status))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def accepted(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body, status in self.requests if status == 200]


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[str]:
    port = free_ports(1)[0]
    config = uvicorn.Config(
        receiver, host="127.0.0.1", port=port, lifespan="off", log_level="error"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/siem"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def audit_engine(stack: Stack) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(stack.database_url("audit"), "audit")
    try:
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def delivering(deliverer: WebhookDeliverer) -> AsyncIterator[None]:
    task = asyncio.create_task(deliverer.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def sign_up(stack: Stack) -> str:
    async with browser(stack) as http:
        body = {"name": "W", "email": unique_email(), "password": PASSWORD}
        response = await http.post("/api/auth/sign-up/email", json=body)
        assert response.status_code == 200, response.text
        user_id: str = response.json()["user"]["id"]
    return user_id


async def has_cursor(stack: Stack, url: str) -> bool:
    query = "SELECT 1 FROM audit.webhook_cursors WHERE url = $1"
    return bool(await fetch(stack.admin_database_url, query, url))


async def entries_of(stack: Stack, user_id: str) -> list[asyncpg.Record]:
    return await fetch(
        stack.database_url("audit"),
        "SELECT sequence, event_id, hash FROM audit.entries WHERE user_id = $1 ORDER BY sequence",
        user_id,
    )


async def verify(stack: Stack) -> audit_pb2.VerifyChainResponse:
    token = ServiceTokenIssuer("gateway", stack.plan.key_pairs["gateway"][0]).token_for("audit")
    async with grpc.aio.insecure_channel(stack.addr("audit")) as channel:
        return await audit_pb2_grpc.AuditServiceStub(channel).VerifyChain(
            audit_pb2.VerifyChainRequest(),
            metadata=(("authorization", f"Bearer {token}"),),
            timeout=60,
        )


def policy(max_attempts: int) -> WebhookPolicy:
    return WebhookPolicy(secret=SECRET, max_attempts=max_attempts, timeout_s=2, backoff_s=0.05)


async def test_webhooks_are_signed_retried_and_dead_lettered(stack: Stack) -> None:
    receiver = Receiver(failures=2)
    dead_url = f"http://127.0.0.1:{free_ports(1)[0]}/nobody-listens"
    async with serving(receiver) as url, audit_engine(stack) as engine:
        store = PostgresWebhookStore(engine)
        good = WebhookDeliverer(store, url, policy(5))
        dead = WebhookDeliverer(store, dead_url, policy(2))
        async with delivering(good), delivering(dead):
            for target in (url, dead_url):  # both start at the head as it is now
                assert await eventually(lambda t=target: has_cursor(stack, t), bool)  # type: ignore[misc]
            user_id = await sign_up(stack)
            stored = await eventually(lambda: entries_of(stack, user_id), lambda r: len(r) >= 3)
            wanted = {row["event_id"] for row in stored}

            async def delivered() -> set[str]:
                return {doc["eventId"] for doc in receiver.accepted()} & wanted

            assert await eventually(delivered, lambda got: got == wanted, 20) == wanted
            dead_query = (
                "SELECT event_id, attempts FROM audit.webhook_dead_letters"
                " WHERE url = $1 AND event_id = ANY($2::text[])"
            )
            letters = await eventually(
                lambda: fetch(stack.admin_database_url, dead_query, dead_url, list(wanted)),
                lambda rows: len(rows) == len(wanted),
                20,
            )
    try:
        assert {row["event_id"] for row in letters} == wanted
        assert {row["attempts"] for row in letters} == {2}
        # The first two requests were refused and the same entry came again until accepted.
        first_ids = [json.loads(body)["eventId"] for _, body, _ in receiver.requests[:3]]
        assert len(set(first_ids)) == 1
        accepted = receiver.accepted()
        sequences = [doc["sequence"] for doc in accepted]
        assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
        assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
        now = int(time.time())
        for headers, body, _ in receiver.requests:
            assert headers["content-type"] == "application/json"
            assert verify_signature(
                secret=SECRET,
                timestamp=int(headers[TIMESTAMP_HEADER.lower()]),
                body=body,
                signature=headers[SIGNATURE_HEADER.lower()],
                now=now,
            )
            assert not verify_signature(
                secret=b"another secret",
                timestamp=int(headers[TIMESTAMP_HEADER.lower()]),
                body=body,
                signature=headers[SIGNATURE_HEADER.lower()],
                now=now,
            )
        mine = [doc for doc in accepted if doc["eventId"] in wanted]
        assert {doc["userId"] for doc in mine} == {user_id}
        assert all(len(doc["hash"]) == 64 for doc in mine)
    finally:
        conn = await asyncpg.connect(stack.admin_database_url)
        try:
            for table in ("webhook_dead_letters", "webhook_cursors"):
                await conn.execute(
                    f"DELETE FROM audit.{table} WHERE url = ANY($1::text[])",  # noqa: S608
                    [url, dead_url],
                )
        finally:
            await conn.close()


async def test_retention_removes_old_entries_and_the_chain_still_verifies(stack: Stack) -> None:
    user_id = await sign_up(stack)
    await eventually(lambda: entries_of(stack, user_id), lambda r: len(r) >= 3)
    newer_user = await sign_up(stack)
    await eventually(lambda: entries_of(stack, newer_user), lambda r: len(r) >= 3)
    last = (await entries_of(stack, user_id))[-1]
    conn = await asyncpg.connect(stack.admin_database_url)
    try:
        # Everything up to this user's last entry was recorded "400 days ago" (recorded_at is
        # the store's clock, outside the hash).
        await conn.execute(
            "UPDATE audit.entries SET recorded_at = now() - interval '400 days'"
            " WHERE sequence <= $1",
            last["sequence"],
        )
    finally:
        await conn.close()

    async with audit_engine(stack) as engine:
        retention = PostgresRetention(engine)
        removed = await retention.remove_older_than(timedelta(days=365), batch_size=100)
        assert removed is not None and removed > 0
        assert await retention.remove_older_than(timedelta(days=365), batch_size=100) == 0

    assert await entries_of(stack, user_id) == []
    kept = await entries_of(stack, newer_user)
    assert kept and all(row["sequence"] > last["sequence"] for row in kept)
    anchor = await fetch(
        stack.admin_database_url,
        "SELECT sequence, hash FROM audit.anchors ORDER BY sequence DESC LIMIT 1",
    )
    assert (anchor[0]["sequence"], anchor[0]["hash"]) == (last["sequence"], last["hash"])
    result = await verify(stack)
    assert result.ok, result
    assert result.anchor_sequence == last["sequence"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("", None), ("off", None), ("0", None), ("90d", 90 * 86400), ("12h", 43200), ("30", 30)],
)
def test_retention_durations(text: str, seconds: int | None) -> None:
    parsed = parse_duration(text)
    assert (None if parsed is None else parsed.total_seconds()) == seconds


@pytest.mark.parametrize("text", ["90 days", "-1d", "1y", "d"])
def test_bad_retention_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)
