"""Delivery guarantees of the event pipeline (DESIGN §3): every event reaches audit exactly once —
across a NATS outage longer than any client timeout, and when a relay died between publishing a
row and deleting it — and audit hands a user's entries back in complete, ordered cursor pages.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import asyncpg
import grpc
import httpx
import nats
import pytest
from nats.aio.client import Client
from nats.js.api import DeliverPolicy

from authmesh.audit.v1 import audit_pb2, audit_pb2_grpc
from authmesh.identity.v1 import identity_pb2
from authmesh.session.v1 import session_pb2, session_pb2_grpc
from authmesh_kit.events.catalogue import USER_CREATED
from authmesh_kit.events.envelope import Envelope, build_envelope
from authmesh_kit.events.names import AUTH_EVENTS, durable_name, event_subject, stream_name
from authmesh_kit.grpc.service_auth import ServiceTokenIssuer
from authmesh_kit.ids import new_id
from authmesh_kit.stack.supervisor import Stack
from tests.conftest import browser, next_client_ip, unique_email
from tests.database import fetch
from tests.waiting import eventually

PASSWORD = "pw-12345678"
USER_CREATED_T = "auth.identity.user.created.v1"
SESSION_CREATED_T = "auth.session.session.created.v1"
SESSION_REVOKED_T = "auth.session.session.revoked.v1"
SIGN_IN_FAILED_T = "auth.identity.sign_in.failed.v1"
VERIFICATION_REQUESTED_T = "auth.identity.email_verification.requested.v1"  # on sign-up
RISK_ASSESSED_T = "auth.risk.assessment.recorded.v1"  # one per session issued

# The long outage: longer than two minutes, with a round of requests at each of these offsets.
# Its test is marked `slow` and runs in `make test`; `-m "not slow"` leaves it out locally.
OUTAGE_S = 130.0
ROUNDS_AT_S = (0.0, 65.0, 125.0)


# --- helpers -------------------------------------------------------------------------------


async def audit_counts(stack: Stack, user_ids: Iterable[str]) -> dict[str, Counter[str]]:
    """Audit entries per user and type: counts, so that a duplicate or a loss both show."""
    ids = list(user_ids)
    rows = await fetch(
        stack.database_url("audit"),
        "SELECT user_id, type FROM audit.entries WHERE user_id = ANY($1::text[])",
        ids,
    )
    counts: dict[str, Counter[str]] = {user_id: Counter() for user_id in ids}
    for row in rows:
        counts[row["user_id"]][row["type"]] += 1
    return counts


def service_metadata(stack: Stack, caller: str, callee: str) -> tuple[tuple[str, str], ...]:
    """What `caller`'s process sends `callee`: a service token signed with caller's own key."""
    private_key = stack.plan.key_pairs[caller][0]
    token = ServiceTokenIssuer(caller, private_key).token_for(callee)
    return (("authorization", f"Bearer {token}"),)


async def revoke_behind_the_gateways_back(stack: Stack, token: str) -> None:
    """Revokes a session at the session service directly, so the gateway's own sign-out eviction
    never runs: only the pushed revocation (or no cache at all) keeps it from serving it."""
    async with grpc.aio.insecure_channel(stack.addr("session")) as channel:
        stub = session_pb2_grpc.SessionServiceStub(channel)
        reply = await stub.RevokeSession(
            session_pb2.RevokeSessionRequest(token=token),
            metadata=service_metadata(stack, "gateway", "session"),
            timeout=5,
        )
    assert reply.revoked


async def signed_in_user(http: httpx.AsyncClient) -> str | None:
    response = await http.get("/api/auth/get-session")
    assert response.status_code == 200, response.text
    body = response.json()
    return None if body is None else str(body["user"]["id"])


@asynccontextmanager
async def admin_nats(stack: Stack) -> AsyncIterator[Client]:
    client = await nats.connect(stack.nats_url, allow_reconnect=False, connect_timeout=5)
    try:
        yield client
    finally:
        await client.close()


async def stored_copies(stack: Stack, subject: str, event_id: str) -> list[tuple[int, str]]:
    """(stream sequence, Nats-Msg-Id) of every message in AUTH_EVENTS carrying `event_id`."""
    copies: list[tuple[int, str]] = []
    async with admin_nats(stack) as client:
        js = client.jetstream()
        sub = await js.subscribe(
            subject,
            stream=stream_name(stack.namespace, AUTH_EVENTS),
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
        try:
            while True:
                message = await sub.next_msg(timeout=5)
                envelope = Envelope()
                envelope.ParseFromString(message.data)
                if envelope.id == event_id:
                    headers = message.headers or {}
                    copies.append(
                        (message.metadata.sequence.stream, headers.get("Nats-Msg-Id", ""))
                    )
                if message.metadata.num_pending == 0:
                    return copies
        finally:
            await sub.unsubscribe()


async def audit_has_acked_through(stack: Stack, stream_seq: int, timeout_s: float) -> bool:
    """Whether audit's durable consumer acked everything up to `stream_seq` within the wait."""

    async def ack_floor() -> int:
        async with admin_nats(stack) as client:
            info = await client.jetstream().consumer_info(
                stream_name(stack.namespace, AUTH_EVENTS), durable_name(stack.namespace, "audit")
            )
        return int(info.ack_floor.stream_seq if info.ack_floor else 0)

    return await eventually(ack_floor, lambda floor: floor >= stream_seq, timeout_s) >= stream_seq


def made_up_user_created() -> Envelope:
    user_id = new_id()
    payload = identity_pb2.UserCreated(user_id=user_id, email_domain="example.test", method="email")
    return build_envelope(USER_CREATED, payload, user_id=user_id)


async def add_outbox_row(stack: Stack, envelope: Envelope) -> None:
    """A committed identity outbox row, as the admin: what a crashed relay leaves behind."""
    conn = await asyncpg.connect(stack.admin_database_url)
    try:
        await conn.execute(
            "INSERT INTO identity.outbox (id, subject, payload) VALUES ($1, $2, $3)",
            envelope.id,
            event_subject(stack.namespace, envelope.type),
            envelope.SerializeToString(),
        )
    finally:
        await conn.close()


async def outbox_has(stack: Stack, event_id: str) -> bool:
    rows = await fetch(
        stack.admin_database_url, "SELECT 1 FROM identity.outbox WHERE id = $1", event_id
    )
    return bool(rows)


async def audit_entries_for(stack: Stack, event_id: str) -> int:
    """Audit entries of one event id (audit keeps no processed-event marks: its entries are
    keyed by event id)."""
    rows = await fetch(
        stack.database_url("audit"),
        "SELECT count(*) AS entries FROM audit.entries WHERE event_id = $1",
        event_id,
    )
    return int(rows[0]["entries"])


# --- a relay that died between publishing and deleting its row ------------------------------


async def test_a_row_published_before_its_relay_died_is_stored_once(stack: Stack) -> None:
    envelope = made_up_user_created()
    subject = event_subject(stack.namespace, envelope.type)
    async with admin_nats(stack) as client:
        # What the dead relay did: published the row's envelope under the row's id...
        ack = await client.jetstream().publish(
            subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.id}
        )
    assert not ack.duplicate
    # ...and never deleted the row. The live relay finds it and publishes it again.
    await add_outbox_row(stack, envelope)

    assert not await eventually(lambda: outbox_has(stack, envelope.id), lambda has: not has, 10)
    # JetStream's de-duplication kept one copy: the one published first.
    assert await stored_copies(stack, subject, envelope.id) == [(ack.seq, envelope.id)]
    assert await audit_has_acked_through(stack, ack.seq, 10)
    assert await eventually(lambda: audit_entries_for(stack, envelope.id), lambda n: n != 0, 10)
    assert await audit_entries_for(stack, envelope.id) == 1


async def test_a_duplicate_past_the_dedup_window_is_still_stored_once(stack: Stack) -> None:
    envelope = made_up_user_created()
    subject = event_subject(stack.namespace, envelope.type)
    async with admin_nats(stack) as client:
        # The dead relay's copy, published longer ago than the de-duplication window: JetStream
        # no longer knows its Nats-Msg-Id, which a different id here stands for.
        await client.jetstream().publish(
            subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": f"{envelope.id}-old"}
        )
    await add_outbox_row(stack, envelope)

    assert not await eventually(lambda: outbox_has(stack, envelope.id), lambda has: not has, 10)
    copies = await stored_copies(stack, subject, envelope.id)
    # Both copies are in the stream, so only the consumer's idempotency stands between them
    # and a second entry.
    assert sorted(msg_id for _, msg_id in copies) == [envelope.id, f"{envelope.id}-old"]
    assert await audit_has_acked_through(stack, max(seq for seq, _ in copies), 10)
    assert await audit_entries_for(stack, envelope.id) == 1


# --- audit.v1 ListEvents ---------------------------------------------------------------------


async def test_list_events_pages_a_users_entries_newest_first(stack: Stack) -> None:
    async with browser(stack) as http:
        email = unique_email()
        signed_up = await http.post(
            "/api/auth/sign-up/email", json={"name": "L", "email": email, "password": PASSWORD}
        )
        assert signed_up.status_code == 200, signed_up.text
        user_id = signed_up.json()["user"]["id"]
        for password in ("wrong-1", PASSWORD, "wrong-2", "wrong-3", PASSWORD):
            # Five sign-ins in a row: each from its own IP, under the 3-per-10-s limit.
            await http.post(
                "/api/auth/sign-in/email",
                json={"email": email, "password": password},
                headers={"X-Forwarded-For": next_client_ip()},
            )
        await http.post("/api/auth/sign-out")
    expected = Counter(
        {
            USER_CREATED_T: 1,
            VERIFICATION_REQUESTED_T: 1,
            SESSION_CREATED_T: 3,
            RISK_ASSESSED_T: 3,
            SIGN_IN_FAILED_T: 3,
            SESSION_REVOKED_T: 1,
        }
    )
    counts = await eventually(
        lambda: audit_counts(stack, [user_id]), lambda c: c[user_id] == expected, 15
    )
    assert counts[user_id] == expected
    stored = await fetch(
        stack.database_url("audit"),
        "SELECT event_id FROM audit.entries WHERE user_id = $1",
        user_id,
    )

    pages: list[list[audit_pb2.AuditEntry]] = []
    async with grpc.aio.insecure_channel(stack.addr("audit")) as channel:
        stub = audit_pb2_grpc.AuditServiceStub(channel)
        as_gateway = service_metadata(stack, "gateway", "audit")
        cursor = ""
        while True:
            reply = await stub.ListEvents(
                audit_pb2.ListEventsRequest(user_id=user_id, limit=2, cursor=cursor),
                metadata=as_gateway,
                timeout=5,
            )
            pages.append(list(reply.entries))
            cursor = reply.next_cursor
            if not cursor:
                break
            assert len(pages) <= len(stored), "pagination does not end"

        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListEvents(
                audit_pb2.ListEventsRequest(user_id=user_id),
                metadata=service_metadata(stack, "session", "audit"),
                timeout=5,
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED

        # Not base64; base64 of something that is no event id; a non-ASCII string.
        for bad_cursor in ("!!not a cursor!!", "aGVsbG8", "é"):
            with pytest.raises(grpc.aio.AioRpcError) as invalid:
                await stub.ListEvents(
                    audit_pb2.ListEventsRequest(user_id=user_id, limit=2, cursor=bad_cursor),
                    metadata=as_gateway,
                    timeout=5,
                )
            assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT, bad_cursor

    assert all(1 <= len(page) <= 2 for page in pages)
    assert [len(page) for page in pages[:-1]] == [2] * (len(pages) - 1)
    entries = [entry for page in pages for entry in page]
    ids = [entry.event_id for entry in entries]
    assert len(ids) == len(set(ids)), "an entry appears on two pages"
    assert set(ids) == {row["event_id"] for row in stored}
    # Newest first; events of one millisecond from different producers have no order.
    times = [entry.occurred_at.ToNanoseconds() for entry in entries]
    assert times == sorted(times, reverse=True)
    assert all(entry.user_id == user_id for entry in entries)
    assert Counter(entry.type for entry in entries) == expected


# --- a long NATS outage ------------------------------------------------------------------------


async def _round_during_outage(
    stack: Stack, http: httpx.AsyncClient, earlier: list[httpx.AsyncClient]
) -> str:
    """Sign-up, revocation, a failed and a good sign-in for a new user, all while NATS is down;
    returns the user's id. The gateway's session cache must be bypassed, never fail or go stale."""
    email = unique_email()
    signed_up = await http.post(
        "/api/auth/sign-up/email", json={"name": "O", "email": email, "password": PASSWORD}
    )
    assert signed_up.status_code == 200, signed_up.text
    user_id = str(signed_up.json()["user"]["id"])
    assert await signed_in_user(http) == user_id
    assert await signed_in_user(http) == user_id  # would be a cache hit, were NATS up

    # No revocation can be pushed now, so only bypassing the cache makes this answer right.
    await revoke_behind_the_gateways_back(stack, signed_up.json()["token"])
    assert await signed_in_user(http) is None

    wrong = await http.post("/api/auth/sign-in/email", json={"email": email, "password": "nope-1"})
    assert wrong.status_code == 401, wrong.text
    signed_in = await http.post(
        "/api/auth/sign-in/email", json={"email": email, "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    assert await signed_in_user(http) == user_id
    # Sessions made in earlier rounds of the outage are still served.
    for other in earlier:
        assert await signed_in_user(other) is not None
    return user_id


@pytest.mark.slow
async def test_events_of_a_nats_outage_over_two_minutes_reach_audit_exactly_once(
    stack: Stack,
) -> None:
    loop = asyncio.get_running_loop()
    async with (
        browser(stack) as first,
        browser(stack) as second,
        browser(stack) as third,
        browser(stack) as after,
    ):
        users: list[str] = []
        await stack.stop_nats()
        try:
            started = loop.time()
            clients = [first, second, third]
            for index, (at_s, http) in enumerate(zip(ROUNDS_AT_S, clients, strict=True)):
                await asyncio.sleep(max(0.0, started + at_s - loop.time()))
                users.append(await _round_during_outage(stack, http, clients[:index]))
            await asyncio.sleep(max(0.0, started + OUTAGE_S - loop.time()))
            assert loop.time() - started >= OUTAGE_S
        finally:
            await stack.start_nats()
        back = loop.time()

        per_user = Counter(
            {
                USER_CREATED_T: 1,
                VERIFICATION_REQUESTED_T: 1,
                SESSION_CREATED_T: 2,
                RISK_ASSESSED_T: 2,
                SESSION_REVOKED_T: 1,
                SIGN_IN_FAILED_T: 1,
            }
        )
        expected = dict.fromkeys(users, per_user)
        counts = await eventually(lambda: audit_counts(stack, users), lambda c: c == expected, 30)
        assert counts == expected
        delivered_s = loop.time() - back

        # Nothing left behind in any outbox, and nothing arrives twice later on: the relays'
        # retries during the outage (buffered by the NATS client) are flushed by now.
        left = await fetch(
            stack.admin_database_url,
            "SELECT (SELECT count(*) FROM identity.outbox) + (SELECT count(*) FROM session.outbox)"
            " + (SELECT count(*) FROM risk.outbox)",
        )
        assert left[0][0] == 0, "an outbox was not drained"
        await asyncio.sleep(2)
        assert await audit_counts(stack, users) == expected

        # The gateway trusts its cache again only with revocations pushed to it: a session
        # revoked behind its back stops being served well within the cache's TTL.
        signed_up = await after.post(
            "/api/auth/sign-up/email",
            json={"name": "A", "email": unique_email(), "password": PASSWORD},
        )
        assert signed_up.status_code == 200, signed_up.text
        assert await signed_in_user(after) == signed_up.json()["user"]["id"]
        await revoke_behind_the_gateways_back(stack, signed_up.json()["token"])
        assert await eventually(lambda: signed_in_user(after), lambda user: user is None, 5) is None
    print(f"outage events in audit {delivered_s:.1f} s after NATS was back")
