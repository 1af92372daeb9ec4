"""The chained append on a database of its own: order, the skipping of stored event ids, and
an append that waited for the head's lock while another committed the same event."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

import authmesh_audit
from authmesh_audit.domain.model import AuditEntry
from authmesh_audit.domain.use_cases.verify_chain import verify_chain
from authmesh_audit.store.chain import PostgresChainStore
from authmesh_audit.store.repository import PostgresAuditStore
from authmesh_kit.db.engine import create_engine
from authmesh_kit.db.migrations import upgrade
from authmesh_kit.stack.backing import DEFAULT_TEST_DATABASE_URL, fresh_database
from tests.waiting import eventually

pytestmark = pytest.mark.integration

MIGRATIONS = Path(authmesh_audit.__file__).parent / "store" / "migrations"


@pytest_asyncio.fixture(loop_scope="session")
async def database_url() -> AsyncIterator[str]:
    async with fresh_database(DEFAULT_TEST_DATABASE_URL, prefix="authmesh_audit_append") as url:
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    made = create_engine(database_url, "audit")
    yield made
    await made.dispose()


def entry(event_id: str, payload_json: str = "{}") -> AuditEntry:
    return AuditEntry(
        event_id=event_id,
        type="auth.identity.user.updated.v1",
        occurred_at=datetime.now(UTC),
        producer="identity",
        actor_kind="ACTOR_KIND_USER",
        actor_user_id="user-1",
        ip="203.0.113.7",
        user_agent="test",
        user_id="user-1",
        organization_id="",
        session_id="",
        traceparent="",
        payload_json=payload_json,
    )


async def stored(url: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(
            await conn.fetch(
                "SELECT sequence, event_id, payload::text AS payload, recorded_at"
                " FROM audit.entries ORDER BY sequence"
            )
        )
    finally:
        await conn.close()


async def test_entries_are_chained_in_order_each_event_once(
    engine: AsyncEngine, database_url: str
) -> None:
    store = PostgresAuditStore(engine)
    async with engine.begin() as conn:
        first = await store.append(
            conn, [entry("a", '{"b": [1.5, null], "é": "ü"}'), entry("b"), entry("a")]
        )
    async with engine.begin() as conn:
        second = await store.append(conn, [entry("b"), entry("c")])
    async with engine.begin() as conn:
        third = await store.append(conn, [entry("c")])

    assert [e.event_id for e in first] == ["a", "b"]
    assert [e.event_id for e in second] == ["c"]
    assert third == []
    rows = await stored(database_url)
    assert [(row["sequence"], row["event_id"]) for row in rows] == [(1, "a"), (2, "b"), (3, "c")]
    assert rows[0]["payload"] == '{"b": [1.5, null], "é": "ü"}'
    recorded = [row["recorded_at"] for row in rows]
    assert recorded == sorted(recorded)
    result = await verify_chain(PostgresChainStore(engine))
    assert result.ok, result
    assert result.last_sequence == 3


async def test_an_append_that_waited_for_the_lock_skips_what_the_holder_chained(
    engine: AsyncEngine, database_url: str
) -> None:
    store = PostgresAuditStore(engine)
    observer = await asyncpg.connect(database_url)
    try:
        async with engine.begin() as holder:
            await store.append(holder, [entry("x")])
            # The waiter's statement starts while "x" is uncommitted, so its snapshot lacks it.
            waiter = asyncio.create_task(append_alone(engine, store, [entry("x"), entry("y")]))
            waiting = await eventually(lambda: lock_waits(observer), lambda count: count > 0)
            assert waiting, "the second append never waited for the head's lock"
        chained = await waiter
    finally:
        await observer.close()

    assert [e.event_id for e in chained] == ["y"]
    event_ids = [row["event_id"] for row in await stored(database_url)]
    assert event_ids.count("x") == 1
    assert event_ids[-2:] == ["x", "y"]
    result = await verify_chain(PostgresChainStore(engine))
    assert result.ok, result


async def lock_waits(conn: asyncpg.Connection) -> int:
    """Transactions waiting for a row another one locked."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'"
    )
    return count


async def append_alone(
    engine: AsyncEngine, store: PostgresAuditStore, batch: list[AuditEntry]
) -> list[AuditEntry]:
    async with engine.begin() as conn:
        return await store.append(conn, batch)


async def test_no_processed_event_ids_are_kept(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        table = await conn.fetchval("SELECT to_regclass('audit.processed_events')")
    finally:
        await conn.close()
    assert table is None
