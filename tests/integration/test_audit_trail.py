"""The audit trail end to end: the hash chain and its check (gRPC, HTTP and the `verify`
command) against entries edited or deleted directly in the database; the admin listing with
filters and cursors; the streamed exports; a user's own security activity; the live feeds.

Tampering is undone before each test ends, so that the shared stack's chain verifies again.
"""

import asyncio
import csv
import io
import json
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import websockets
from websockets.asyncio.client import ClientConnection

from authmesh.identity.v1 import identity_pb2
from authmesh_kit.events.catalogue import REQUEST_REFUSED, USER_UPDATED
from authmesh_kit.events.envelope import build_envelope
from authmesh_kit.events.names import event_subject
from authmesh_kit.ids import new_id
from authmesh_kit.stack.plan import free_ports
from authmesh_kit.stack.supervisor import ManagedProcess, Stack, grpc_serving
from authmesh_kit.testing.pytest_plugin import ADMIN_EMAIL, ADMIN_PASSWORD, TRUSTED_ORIGIN
from tests.audit import verify_over_grpc
from tests.conftest import browser, next_client_ip, unique_email
from tests.database import fetch
from tests.waiting import eventually

PASSWORD = "pw-12345678"
EVIL_ORIGIN = "https://evil.example"
SESSION_CREATED = "auth.session.session.created.v1"
SESSION_REVOKED = "auth.session.session.revoked.v1"
SIGN_IN_FAILED = "auth.identity.sign_in.failed.v1"
USER_CREATED = "auth.identity.user.created.v1"
VERIFICATION_REQUESTED = "auth.identity.email_verification.requested.v1"


# --- helpers ---------------------------------------------------------------------------------


async def entries_of(stack: Stack, user_id: str) -> list[asyncpg.Record]:
    return await fetch(
        stack.database_url("audit"),
        "SELECT sequence, event_id, type, prev_hash, hash FROM audit.entries"
        " WHERE user_id = $1 ORDER BY sequence",
        user_id,
    )


async def wait_for_entries(stack: Stack, user_id: str, count: int) -> list[asyncpg.Record]:
    found = await eventually(lambda: entries_of(stack, user_id), lambda rows: len(rows) >= count)
    assert len(found) >= count, found
    return found


async def settled_entries(
    stack: Stack, user_id: str, expected: Counter[str], timeout_s: float = 15
) -> list[asyncpg.Record]:
    """The user's entries once those of `expected` are all there (counts of each type; risk's
    decisions, which come besides, are not counted) and no more arrived for a moment."""

    def account_types(rows: list[asyncpg.Record]) -> Counter[str]:
        return Counter(row["type"] for row in rows if not row["type"].startswith("auth.risk."))

    rows = await eventually(
        lambda: entries_of(stack, user_id), lambda r: account_types(r) == expected, timeout_s
    )
    assert account_types(rows) == expected, rows
    while True:
        await asyncio.sleep(0.5)
        again = await entries_of(stack, user_id)
        if len(again) == len(rows):
            return again
        rows = again


async def verify_command(stack: Stack) -> tuple[int, dict[str, Any]]:
    """`python -m authmesh_audit verify`, as an operator runs it."""
    env = {**os.environ, "AUTHMESH_AUDIT_DATABASE_URL": stack.database_url("audit")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "authmesh_audit",
        "verify",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    assert out, err.decode()
    return process.returncode, json.loads(out)


@asynccontextmanager
async def signed_in_admin(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(stack) as http:
        response = await http.post(
            "/api/auth/sign-in/email", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 200, response.text
        yield http


@asynccontextmanager
async def signed_up(stack: Stack) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    async with browser(stack) as http:
        body = {"name": "Ada", "email": unique_email(), "password": PASSWORD}
        response = await http.post("/api/auth/sign-up/email", json=body)
        assert response.status_code == 200, response.text
        yield http, response.json()["user"]


def cookie_header(http: httpx.AsyncClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


def feed_url(stack: Stack, path: str) -> str:
    return stack.gateway_url.replace("http://", "ws://") + path


@asynccontextmanager
async def feed(stack: Stack, path: str, http: httpx.AsyncClient) -> AsyncIterator[ClientConnection]:
    headers = {"Cookie": cookie_header(http), "Origin": TRUSTED_ORIGIN}
    async with websockets.connect(feed_url(stack, path), additional_headers=headers) as ws:
        yield ws


async def next_event(ws: ClientConnection, wanted: str, user_id: str) -> dict[str, Any]:
    while True:
        message = json.loads(await ws.recv())
        if message["type"] == wanted and message["userId"] == user_id:
            return dict(message)


# --- the chain ---------------------------------------------------------------------------------


async def test_entries_are_chained_and_the_chain_verifies(stack: Stack) -> None:
    async with signed_up(stack) as (_, user):
        rows = await wait_for_entries(stack, user["id"], 3)
    assert all(len(row["hash"]) == 64 for row in rows)
    sequences = [row["sequence"] for row in rows]
    previous = await fetch(
        stack.database_url("audit"),
        "SELECT sequence, hash FROM audit.entries WHERE sequence = ANY($1::bigint[])",
        [sequence - 1 for sequence in sequences],
    )
    hashes = {row["sequence"]: row["hash"] for row in previous}
    assert [row["prev_hash"] for row in rows] == [hashes[s - 1] for s in sequences]

    result = await verify_over_grpc(stack)
    assert result.ok, result
    assert result.last_sequence >= max(sequences)
    assert result.checked == result.last_sequence - result.anchor_sequence
    code, report = await verify_command(stack)
    assert code == 0 and report["ok"] is True, report
    async with signed_in_admin(stack) as admin:
        answer = await admin.post("/api/admin/audit/verify")
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is True and answer.json()["firstBroken"] is None


async def test_an_entry_edited_in_the_database_is_named(stack: Stack) -> None:
    async with signed_up(stack) as (_, user):
        rows = await wait_for_entries(stack, user["id"], 3)
    target = rows[1]
    conn = await asyncpg.connect(stack.admin_database_url)
    try:
        original = await conn.fetchval(
            "SELECT ip FROM audit.entries WHERE sequence = $1", target["sequence"]
        )
        await conn.execute(
            "UPDATE audit.entries SET ip = '203.0.113.66' WHERE sequence = $1", target["sequence"]
        )
        try:
            result = await verify_over_grpc(stack)
            code, report = await verify_command(stack)
            async with signed_in_admin(stack) as admin:
                answer = (await admin.post("/api/admin/audit/verify")).json()
        finally:
            await conn.execute(
                "UPDATE audit.entries SET ip = $2 WHERE sequence = $1", target["sequence"], original
            )
    finally:
        await conn.close()
    assert not result.ok
    assert (result.problem, result.broken_sequence, result.broken_event_id) == (
        "EDITED",
        target["sequence"],
        target["event_id"],
    )
    assert code == 1
    assert (report["problem"], report["brokenSequence"]) == ("EDITED", target["sequence"])
    assert answer["ok"] is False
    assert answer["firstBroken"]["sequence"] == target["sequence"]
    assert answer["firstBroken"]["eventId"] == target["event_id"]
    assert (await verify_over_grpc(stack)).ok  # restored


async def test_a_hash_recomputed_after_an_edit_breaks_the_next_link(stack: Stack) -> None:
    """An editor who also rewrites the entry's hash is caught by the entry after it."""
    async with signed_up(stack) as (_, user):
        rows = await wait_for_entries(stack, user["id"], 3)
    target = rows[0]
    conn = await asyncpg.connect(stack.admin_database_url)
    try:
        await conn.execute(
            "UPDATE audit.entries SET hash = repeat('0', 64) WHERE sequence = $1",
            target["sequence"],
        )
        try:
            result = await verify_over_grpc(stack)
        finally:
            await conn.execute(
                "UPDATE audit.entries SET hash = $2 WHERE sequence = $1",
                target["sequence"],
                target["hash"],
            )
    finally:
        await conn.close()
    assert (result.problem, result.broken_sequence) == ("EDITED", target["sequence"])


async def test_a_deleted_entry_is_named_as_missing(stack: Stack) -> None:
    async with signed_up(stack) as (_, user):
        rows = await wait_for_entries(stack, user["id"], 3)
    target = rows[1]
    conn = await asyncpg.connect(stack.admin_database_url)
    try:
        async with conn.transaction():
            await conn.execute(
                "CREATE TEMP TABLE saved ON COMMIT PRESERVE ROWS AS"
                " SELECT * FROM audit.entries WHERE sequence = $1",
                target["sequence"],
            )
            await conn.execute("DELETE FROM audit.entries WHERE sequence = $1", target["sequence"])
        try:
            result = await verify_over_grpc(stack)
            code, report = await verify_command(stack)
        finally:
            await conn.execute("INSERT INTO audit.entries SELECT * FROM saved")
    finally:
        await conn.close()
    assert (result.problem, result.broken_sequence) == ("MISSING", target["sequence"])
    assert code == 1 and report["problem"] == "MISSING"
    assert report["brokenSequence"] == target["sequence"]
    assert (await verify_over_grpc(stack)).ok  # restored


async def test_a_redelivered_event_is_chained_once(stack: Stack) -> None:
    user_id = new_id()
    envelope = build_envelope(
        USER_UPDATED, identity_pb2.UserUpdated(user_id=user_id), user_id=user_id
    )
    client = await nats.connect(stack.nats_url, allow_reconnect=False, connect_timeout=5)
    try:
        subject = event_subject(stack.namespace, envelope.type)
        for msg_id in (envelope.id, f"{envelope.id}-again"):  # past JetStream's de-duplication
            await client.jetstream().publish(
                subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": msg_id}
            )
    finally:
        await client.close()
    await wait_for_entries(stack, user_id, 1)
    await asyncio.sleep(1)  # time for the second copy to be consumed (it must change nothing)
    assert len(await entries_of(stack, user_id)) == 1
    assert (await verify_over_grpc(stack)).ok


# --- the admin listing -------------------------------------------------------------------------


async def test_admins_list_entries_with_filters_and_cursors(stack: Stack) -> None:
    async with signed_up(stack) as (http, user):
        ip = http.headers["X-Forwarded-For"]
        await http.post("/api/auth/sign-out")
        await http.post("/api/auth/sign-in/email", json={"email": user["email"], "password": "x"})
        await http.post(
            "/api/auth/sign-in/email", json={"email": user["email"], "password": PASSWORD}
        )
        stored = await settled_entries(
            stack,
            user["id"],
            Counter(
                {
                    USER_CREATED: 1,
                    VERIFICATION_REQUESTED: 1,
                    SESSION_CREATED: 2,
                    SESSION_REVOKED: 1,
                    SIGN_IN_FAILED: 1,
                }
            ),
        )
        plain_user = await http.get("/api/admin/audit", params={"userId": user["id"]})
    assert plain_user.status_code == 403, plain_user.text
    assert plain_user.json()["code"] == "YOU_ARE_NOT_ALLOWED_TO_VIEW_THE_AUDIT_LOG"
    async with browser(stack) as anonymous:
        assert (await anonymous.get("/api/admin/audit")).status_code == 401

    async with signed_in_admin(stack) as admin:
        pages: list[list[dict[str, Any]]] = []
        cursor: str | None = None
        while True:
            params = {"userId": user["id"], "limit": "2", **({"cursor": cursor} if cursor else {})}
            response = await admin.get("/api/admin/audit", params=params)
            assert response.status_code == 200, response.text
            pages.append(response.json()["entries"])
            cursor = response.json()["nextCursor"]
            if cursor is None:
                break
            assert len(pages) <= len(stored)
        listed = [entry for page in pages for entry in page]
        assert sorted(entry["sequence"] for entry in listed) == [row["sequence"] for row in stored]
        keys = [(entry["occurredAt"], entry["sequence"]) for entry in listed]
        assert keys == sorted(keys, reverse=True)  # newest first, no entry twice

        by_type = await admin.get(
            "/api/admin/audit", params={"userId": user["id"], "type": SESSION_CREATED}
        )
        assert [e["type"] for e in by_type.json()["entries"]] == [SESSION_CREATED] * 2
        both = await admin.get(
            "/api/admin/audit",
            params={"userId": user["id"], "type": f"{SESSION_CREATED},{SIGN_IN_FAILED}"},
        )
        assert len(both.json()["entries"]) == 3
        by_ip = await admin.get("/api/admin/audit", params={"ip": ip, "limit": "200"})
        from_ip = by_ip.json()["entries"]
        # The user's refused look at the admin log is the gateway's event, from the same address.
        refusals = [e for e in from_ip if e["type"] == REQUEST_REFUSED.type]
        assert [(e["payload"]["route"], e["payload"]["status"]) for e in refusals] == [
            ("/api/admin/audit", 403)
        ]
        assert {e["eventId"] for e in from_ip if e not in refusals} == {
            row["event_id"] for row in stored
        }
        newest, oldest = listed[0], listed[-1]
        window = await admin.get(
            "/api/admin/audit",
            params={"userId": user["id"], "from": newest["occurredAt"], "to": "9999999999999"},
        )
        assert newest["eventId"] in [e["eventId"] for e in window.json()["entries"]]
        assert len(window.json()["entries"]) < len(listed)
        before = await admin.get(
            "/api/admin/audit", params={"userId": user["id"], "to": oldest["occurredAt"]}
        )
        assert before.json()["entries"] == []

        for params in (
            {"cursor": "!!not a cursor!!"},
            {"cursor": "aGVsbG8"},
            {"limit": "0"},
            {"limit": "abc"},
            {"from": "yesterday"},
            {"from": "2026-01-01T00:00:00"},  # no zone
            {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            {"userId": "x" * 300},
        ):
            refused = await admin.get("/api/admin/audit", params=params)
            assert refused.status_code == 400, (params, refused.text)
            assert refused.json()["code"] in ("VALIDATION_ERROR", "INVALID_TIME_RANGE"), params


async def test_exports_stream_every_entry_as_ndjson_and_csv(stack: Stack) -> None:
    """Thousands of entries, streamed in chunks as the audit service reads its pages."""
    user_id, count = new_id(), 1200
    client = await nats.connect(stack.nats_url, allow_reconnect=False, connect_timeout=5)
    try:
        js = client.jetstream()
        for _ in range(count):
            envelope = build_envelope(
                USER_UPDATED, identity_pb2.UserUpdated(user_id=user_id), user_id=user_id
            )
            subject = event_subject(stack.namespace, envelope.type)
            await js.publish(subject, envelope.SerializeToString())
    finally:
        await client.close()
    count_query = "SELECT count(*) AS n FROM audit.entries WHERE user_id = $1"
    counted = await eventually(
        lambda: fetch(stack.database_url("audit"), count_query, user_id),
        lambda rows: rows[0]["n"] == count,
        60,
    )
    assert counted[0]["n"] == count

    async with signed_in_admin(stack) as admin:
        chunks = 0
        body = bytearray()
        params = {"userId": user_id, "format": "ndjson"}
        async with admin.stream("GET", "/api/admin/audit/export", params=params) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/x-ndjson")
            assert "content-length" not in response.headers  # streamed, not built whole
            async for chunk in response.aiter_raw():
                chunks += 1
                body += chunk
        lines = [json.loads(line) for line in body.decode().splitlines()]
        assert len(lines) == count and chunks > 1
        assert {line["userId"] for line in lines} == {user_id}
        sequences = [line["sequence"] for line in lines]
        assert len(set(sequences)) == count

        params = {"userId": user_id, "format": "csv"}
        response = await admin.get("/api/admin/audit/export", params=params)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == count
        assert {row["eventId"] for row in rows} == {line["eventId"] for line in lines}

        refused = await admin.get("/api/admin/audit/export", params={"format": "xml"})
        assert refused.status_code == 400
        empty = await admin.get("/api/admin/audit/export", params={"userId": new_id()})
        assert empty.status_code == 200 and empty.content == b""


# --- a user's own security activity ------------------------------------------------------------


async def test_users_see_their_own_security_activity(stack: Stack) -> None:
    async with signed_up(stack) as (http, user), signed_up(stack) as (_, other):
        await http.post(
            "/api/auth/sign-in/email",
            json={"email": user["email"], "password": "wrong"},
            headers={"X-Forwarded-For": next_client_ip()},
        )
        signed_up_types = {USER_CREATED: 1, VERIFICATION_REQUESTED: 1, SESSION_CREATED: 1}
        await settled_entries(stack, user["id"], Counter(signed_up_types | {SIGN_IN_FAILED: 1}))
        await settled_entries(stack, other["id"], Counter(signed_up_types))
        response = await http.get("/api/me/security-activity")
        assert response.status_code == 200, response.text
        types = [entry["type"] for entry in response.json()["entries"]]
        # Risk decisions on these sign-ins belong to the activity too, when risk records them.
        account_types = [kind for kind in types if not kind.startswith("auth.risk.")]
        assert sorted(account_types) == sorted([SESSION_CREATED, SIGN_IN_FAILED])
        assert {e["userId"] for e in response.json()["entries"]} == {user["id"]}
        first = await http.get("/api/me/security-activity", params={"limit": "1"})
        assert len(first.json()["entries"]) == 1 and first.json()["nextCursor"]
    async with browser(stack) as anonymous:
        unauthorized = await anonymous.get("/api/me/security-activity")
        assert unauthorized.status_code == 401


async def refusals_of(stack: Stack, client_ip: str, count: int) -> list[dict[str, Any]]:
    """The payloads of the gateway's refusal events for `client_ip`, once `count` are there."""

    async def rows() -> list[asyncpg.Record]:
        return await fetch(
            stack.database_url("audit"),
            "SELECT payload, user_agent FROM audit.entries WHERE ip = $1 AND type = $2",
            client_ip,
            REQUEST_REFUSED.type,
        )

    found = await eventually(rows, lambda r: len(r) >= count)
    await asyncio.sleep(0.5)  # and no more come
    found = await rows()
    assert len(found) == count, found
    return [json.loads(row["payload"]) | {"userAgent": row["user_agent"]} for row in found]


async def test_requests_the_gateway_refuses_reach_the_audit_log(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        rushed = next_client_ip()  # invalid input, then the sign-up budget (3 per 10 s) spent
        headers = {"X-Forwarded-For": rushed, "User-Agent": "probe/1"}
        invalid = await http.post("/api/auth/sign-up/email", json=[], headers=headers)
        assert invalid.status_code == 400
        for _ in range(5):
            body = {"name": "R", "email": "not an address", "password": PASSWORD}
            await http.post("/api/auth/sign-up/email", json=body, headers=headers)
        cross_site = next_client_ip()
        for _ in range(3):
            refused = await http.post(
                "/api/auth/sign-out",
                headers={"X-Forwarded-For": cross_site, "Cookie": "a=b", "Origin": EVIL_ORIGIN},
            )
            assert refused.status_code == 403
        canary = "canary" + new_id()
        await http.get(
            f"/api/auth/reset-password/{canary}", headers={"X-Forwarded-For": next_client_ip()}
        )
    # One event per client, route and status every 10 s, however many refusals.
    route = "/api/auth/sign-up/email"
    rushed_events = await refusals_of(stack, rushed, 2)
    # Proto3 JSON leaves out empty fields: the 429 has no code.
    assert sorted((e["status"], e.get("code", ""), e["route"]) for e in rushed_events) == [
        (400, "VALIDATION_ERROR", route),
        (429, "", route),
    ]
    assert {event["userAgent"] for event in rushed_events} == {"probe/1"}
    [origin] = await refusals_of(stack, cross_site, 1)
    assert (origin["status"], origin["code"], origin["method"]) == (403, "INVALID_ORIGIN", "POST")
    assert origin["route"] == "/api/auth/sign-out"
    rows = await fetch(stack.database_url("audit"), "SELECT payload::text FROM audit.entries")
    assert not any(canary in row["payload"] for row in rows)  # routes, never paths as sent


# --- the live feeds ---------------------------------------------------------------------------


async def test_a_sign_in_reaches_the_users_own_feed(stack: Stack) -> None:
    path = "/api/me/security-activity/feed"
    async with signed_up(stack) as (http, user):
        # Events leave the outbox a moment after their commit: the sign-up's own session.created
        # must be out (it is in the log) before the feed opens, or the feed may show it instead.
        signed_up_types = {USER_CREATED: 1, VERIFICATION_REQUESTED: 1, SESSION_CREATED: 1}
        await settled_entries(stack, user["id"], Counter(signed_up_types))
        async with feed(stack, path, http) as ws:
            async with browser(stack) as elsewhere:
                response = await elsewhere.post(
                    "/api/auth/sign-in/email", json={"email": user["email"], "password": PASSWORD}
                )
                assert response.status_code == 200
            message = await asyncio.wait_for(next_event(ws, SESSION_CREATED, user["id"]), 5)
            assert message["actor"]["ip"] == elsewhere.headers["X-Forwarded-For"]
            assert "token" not in json.dumps(message["payload"]).lower()
            # Signing out the feed's own session ends it.
            await http.post("/api/auth/sign-out")
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 4401


async def refused_status(stack: Stack, path: str, headers: dict[str, str]) -> int:
    """The HTTP status of a feed handshake that must be refused."""
    try:
        async with websockets.connect(feed_url(stack, path), additional_headers=headers):
            pass
    except websockets.InvalidStatus as refused:
        return refused.response.status_code
    raise AssertionError(f"{path} opened with {headers}")


async def test_admins_feed_shows_everyone_and_others_are_refused(stack: Stack) -> None:
    admin_path, own_path = "/api/admin/audit/feed", "/api/me/security-activity/feed"
    async with (
        signed_in_admin(stack) as admin,
        feed(stack, admin_path, admin) as ws,
        signed_up(stack) as (http, user),
    ):
        message = await asyncio.wait_for(next_event(ws, USER_CREATED, user["id"]), 5)
        assert message["producer"] == "identity"
        as_user = {"Cookie": cookie_header(http), "Origin": TRUSTED_ORIGIN}
        assert await refused_status(stack, admin_path, as_user) == 403
        cross_site = {"Cookie": cookie_header(http), "Origin": "https://evil.example"}
        assert await refused_status(stack, own_path, cross_site) == 403
    assert await refused_status(stack, own_path, {"Origin": TRUSTED_ORIGIN}) == 401


async def test_feed_handshakes_spend_the_rate_limit(stack: Stack) -> None:
    """Opening a feed costs its path's budget like a request (the global 100 per 10 s)."""
    path, client_ip = "/api/me/security-activity/feed", next_client_ip()
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        for _ in range(99):
            polled = await http.get(path, headers={"X-Forwarded-For": client_ip})
            assert polled.status_code != 429
    headers = {"Origin": TRUSTED_ORIGIN, "X-Forwarded-For": client_ip}
    assert await refused_status(stack, path, headers) == 401  # the 100th: let through
    try:
        async with websockets.connect(feed_url(stack, path), additional_headers=headers):
            pass
    except websockets.InvalidStatus as refused:
        assert refused.response.status_code == 429
        assert refused.response.body == b'{"message":"Too many requests. Please try again later."}'
        assert 0 < int(refused.response.headers["X-Retry-After"]) <= 10
    else:
        raise AssertionError("the 101st handshake within 10 s opened")
    other = {"Origin": TRUSTED_ORIGIN, "X-Forwarded-For": next_client_ip()}
    assert await refused_status(stack, path, other) == 401


async def test_the_feed_resumes_after_a_nats_restart(stack: Stack) -> None:
    """The feed is live: events published while it resubscribes may be missed (the log has
    them), but it delivers again without the client reconnecting."""
    async with signed_in_admin(stack) as admin, feed(stack, "/api/admin/audit/feed", admin) as ws:
        await stack.stop_nats()
        await stack.start_nats()
        for _ in range(15):
            async with signed_up(stack) as (_, user):
                try:
                    await asyncio.wait_for(next_event(ws, USER_CREATED, user["id"]), 2)
                except TimeoutError:
                    continue
                return
        raise AssertionError("the feed delivered nothing after NATS came back")


async def handled_by(metrics_port: int) -> float:
    """Events the audit replica on `metrics_port` chained (its Prometheus counter)."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("authmesh_events_consumed_total{")
        and 'consumer="audit"' in line
        and 'result="handled"' in line
    )


async def test_two_replicas_append_one_linear_chain(stack: Stack, tmp_path: Path) -> None:
    grpc_port, metrics_port = free_ports(2)
    env = stack.plan.env("audit") | {
        "AUTHMESH_GRPC_LISTEN": f"127.0.0.1:{grpc_port}",
        "AUTHMESH_METRICS_PORT": str(metrics_port),
    }
    argv = [sys.executable, "-m", "authmesh_audit", "serve"]
    replica = ManagedProcess("audit-2", argv, env, tmp_path / "audit-2.log")
    await replica.start()
    try:
        ready = await eventually(lambda: grpc_serving(f"127.0.0.1:{grpc_port}"), bool, 30)
        assert ready, replica.tail()
        user_id, count = new_id(), 600
        client = await nats.connect(stack.nats_url, allow_reconnect=False, connect_timeout=5)
        try:
            js = client.jetstream()
            for _ in range(count):
                envelope = build_envelope(
                    USER_UPDATED, identity_pb2.UserUpdated(user_id=user_id), user_id=user_id
                )
                subject = event_subject(stack.namespace, envelope.type)
                await js.publish(subject, envelope.SerializeToString())
        finally:
            await client.close()
        rows = await eventually(
            lambda: entries_of(stack, user_id), lambda found: len(found) == count, 60
        )
        assert len(rows) == count and len({row["event_id"] for row in rows}) == count
        assert await handled_by(metrics_port) > 0, "the second replica chained nothing"
    finally:
        await replica.stop()
    result = await verify_over_grpc(stack)
    assert result.ok, result
