"""The scheduled purge (DESIGN §4, authmesh_kit.db.purge) against the real schemas: one run
deletes the dead rows each service lists and keeps the live ones, and of two purges of one
schema at the same time, only one runs."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from authmesh_identity.settings import IdentitySettings
from authmesh_identity.store.purge import purge_rules
from authmesh_kit.db.engine import create_engine, create_unpooled_engine
from authmesh_kit.db.purge import (
    Purger,
    PurgeRule,
    batch_delete,
    older_than,
    processed_events_rule,
)
from authmesh_kit.ids import new_id
from authmesh_kit.settings import DatabaseServiceSettings
from authmesh_kit.stack.supervisor import Stack
from authmesh_org.store.tables import processed_events as org_processed_events
from authmesh_session.store.tables import processed_events as session_processed_events
from authmesh_session.store.tables import sessions
from tests.conftest import unique_email

# The defaults: dead one day after expiry or use, processed-event ids after 35 days.
IDENTITY = IdentitySettings.model_construct()
DEFAULTS = DatabaseServiceSettings.model_construct()
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
SESSION_RULES = [
    PurgeRule(sessions, older_than(sessions.c.expires_at, DAY)),
    processed_events_rule(session_processed_events, DEFAULTS),
]


@pytest.fixture
async def engines(stack: Stack) -> AsyncIterator[dict[str, AsyncEngine]]:
    made = {svc: create_engine(stack.database_url(svc), svc) for svc in ("identity", "session")}
    made["org"] = create_unpooled_engine(stack.database_url("org"), "org")  # as the runtime
    yield made
    for engine in made.values():
        await engine.dispose()


async def sql(stack: Stack, service: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.database_url(service))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def purge_once(purger: Purger) -> dict[str, int]:
    """One run; the service's own purger may hold the lock for a moment, so wait for it."""
    for _ in range(50):
        report = await purger.run_once()
        if report is not None:
            return report
        await asyncio.sleep(0.1)
    raise AssertionError("the purge lock stayed taken")


async def add_processed_events(stack: Stack, service: str, ages: dict[str, timedelta]) -> None:
    await sql(
        stack,
        service,
        f"INSERT INTO {service}.processed_events (event_id, processed_at)"
        " SELECT unnest($1::text[]), now() - unnest($2::interval[])",
        list(ages),
        list(ages.values()),
    )


async def processed_ids(stack: Stack, service: str, ids: list[str]) -> set[str]:
    rows = await sql(
        stack,
        service,
        f"SELECT event_id FROM {service}.processed_events WHERE event_id = ANY($1)",  # noqa: S608
        ids,
    )
    return {row["event_id"] for row in rows}


async def test_identity_purge_deletes_dead_secrets_and_keeps_live_ones(
    stack: Stack, engines: dict[str, AsyncEngine]
) -> None:
    user_id = new_id()
    await sql(
        stack,
        "identity",
        "INSERT INTO identity.users (id, name, email) VALUES ($1, 'Ada', $2)",
        user_id,
        unique_email(),
    )
    # (token byte, expires_at offset, consumed_at offset): dead a day after expiry or use.
    tokens = {
        b"expired-2d": (-DAY * 2, None),
        b"used-2d": (HOUR, -DAY * 2),
        b"expired-1h": (-HOUR, None),
        b"used-1h": (HOUR, -HOUR),
        b"live": (HOUR, None),
    }
    for token, (expires, consumed) in tokens.items():
        await sql(
            stack,
            "identity",
            "INSERT INTO identity.one_time_tokens"
            " (token_hash, purpose, user_id, email, expires_at, consumed_at)"
            " VALUES ($1, 'test', $2, 'a@example.test', now() + $3::interval,"
            " now() + $4::interval)",
            token + user_id.encode(),
            user_id,
            expires,
            consumed,
        )
    # (identifier, expires_at offset, locked_until offset): a lockout outlives its code.
    codes = {
        "expired-2d": (-DAY * 2, None),
        "expired-2d-still-locked": (-DAY * 2, HOUR),
        "expired-1h": (-HOUR, None),
        "live": (HOUR, None),
    }
    for identifier, (expires, locked) in codes.items():
        await sql(
            stack,
            "identity",
            "INSERT INTO identity.one_time_codes"
            " (purpose, identifier, code_hash, expires_at, locked_until)"
            " VALUES ('test', $1, '\\x00', now() + $2::interval, now() + $3::interval)",
            f"{identifier}-{user_id}",
            expires,
            locked,
        )
    old_event, recent_event = new_id(), new_id()
    await add_processed_events(stack, "identity", {old_event: DAY * 40, recent_event: DAY})

    report = await purge_once(Purger(engines["identity"], purge_rules(IDENTITY), batch_size=1))

    assert report["one_time_tokens"] >= 2 and report["one_time_codes"] >= 1
    kept_tokens = await sql(
        stack,
        "identity",
        "SELECT token_hash FROM identity.one_time_tokens WHERE user_id = $1",
        user_id,
    )
    assert {bytes(row["token_hash"]).removesuffix(user_id.encode()) for row in kept_tokens} == {
        b"expired-1h",
        b"used-1h",
        b"live",
    }
    kept_codes = await sql(
        stack,
        "identity",
        "SELECT identifier FROM identity.one_time_codes WHERE identifier LIKE $1",
        f"%-{user_id}",
    )
    assert {row["identifier"].removesuffix(f"-{user_id}") for row in kept_codes} == {
        "expired-2d-still-locked",
        "expired-1h",
        "live",
    }
    assert await processed_ids(stack, "identity", [old_event, recent_event]) == {recent_event}


async def test_session_purge_deletes_expired_sessions(
    stack: Stack, engines: dict[str, AsyncEngine]
) -> None:
    user_id = new_id()
    ages = {"expired-2d": -DAY * 2, "expired-1h": -HOUR, "live": DAY}
    for name, expires in ages.items():
        await sql(
            stack,
            "session",
            "INSERT INTO session.sessions (token_hash, id, user_id, expires_at, created_at,"
            " updated_at, ip_address, user_agent, dont_remember)"
            " VALUES ($1, $2, $3, now() + $4::interval, now(), now(), '', '', false)",
            f"{name}-{user_id}".encode(),
            f"{name}-{user_id}",
            user_id,
            expires,
        )
    old_event, recent_event = new_id(), new_id()
    await add_processed_events(stack, "session", {old_event: DAY * 40, recent_event: HOUR})
    report = await purge_once(Purger(engines["session"], SESSION_RULES, batch_size=1000))

    assert report["sessions"] >= 1 and report["processed_events"] >= 1
    kept = await sql(
        stack, "session", "SELECT id FROM session.sessions WHERE user_id = $1", user_id
    )
    assert {row["id"].removesuffix(f"-{user_id}") for row in kept} == {"expired-1h", "live"}
    assert await processed_ids(stack, "session", [old_event, recent_event]) == {recent_event}


@pytest.fixture
def org_purger(engines: dict[str, AsyncEngine]) -> Purger:
    rules = [processed_events_rule(org_processed_events, DEFAULTS)]
    return Purger(engines["org"], rules, batch_size=100)


async def old_org_events(stack: Stack, count: int) -> list[str]:
    ids = [new_id() for _ in range(count)]
    await add_processed_events(stack, "org", dict.fromkeys(ids, DAY * 40))
    return ids


async def test_a_purge_skips_its_turn_while_another_one_runs(
    stack: Stack, engines: dict[str, AsyncEngine], org_purger: Purger
) -> None:
    ids = await old_org_events(stack, 10)
    async with engines["org"].begin() as elsewhere:  # a purge running in another replica
        taken = await elsewhere.scalar(
            select(func.pg_try_advisory_xact_lock(func.hashtext("authmesh.purge.org")))
        )
        assert taken
        assert await org_purger.run_once() is None
        assert len(await processed_ids(stack, "org", ids)) == 10
    assert (await purge_once(org_purger))["processed_events"] >= 10
    assert await processed_ids(stack, "org", ids) == set()


async def test_of_two_concurrent_purges_only_one_runs(
    stack: Stack, engines: dict[str, AsyncEngine], org_purger: Purger
) -> None:
    ids = await old_org_events(stack, 3000)  # 30 batches: long enough to overlap
    for _ in range(5):  # the org service's own purger may hold the lock at that moment
        reports = await asyncio.gather(org_purger.run_once(), org_purger.run_once())
        ran = [report for report in reports if report is not None]
        if ran:
            break
    assert len(ran) == 1
    assert ran[0]["processed_events"] >= 3000
    assert await processed_ids(stack, "org", ids) == set()


async def test_a_purge_holds_no_row_lock_a_request_waits_for(
    engines: dict[str, AsyncEngine], stack: Stack, org_purger: Purger
) -> None:
    ids = await old_org_events(stack, 5)
    async with engines["org"].begin() as request:  # a transaction that holds one dead row
        await request.execute(
            text("SELECT 1 FROM org.processed_events WHERE event_id = :id FOR UPDATE"),
            {"id": ids[0]},
        )
        report = await asyncio.wait_for(purge_once(org_purger), timeout=5)
        assert report["processed_events"] >= 4
    assert await processed_ids(stack, "org", ids) == {ids[0]}  # skipped, purged next time


@pytest.mark.parametrize(
    ("service", "rules"),
    [("identity", purge_rules(IDENTITY)), ("session", SESSION_RULES)],
    ids=["identity", "session"],
)
async def test_every_purge_batch_finds_its_rows_by_an_index(
    engines: dict[str, AsyncEngine], service: str, rules: list[PurgeRule]
) -> None:
    """With sequential scans priced out, a plan still scans a table only if no index serves
    the condition: the purge must stay cheap however large the tables grow (DESIGN §6)."""
    async with engines[service].begin() as conn:
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        for rule in rules:
            statement = batch_delete(rule, 1000).compile(
                conn.engine, compile_kwargs={"literal_binds": True}
            )
            plan = "\n".join((await conn.execute(text(f"EXPLAIN {statement}"))).scalars())
            assert "Seq Scan" not in plan, plan
