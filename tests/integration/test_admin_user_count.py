"""The total of an unfiltered admin listing (list-users) comes from the user counts of identity's
migration 0008, not from counting the users table: it must stay exactly the number of users
whatever writes them — users there before the migration, single inserts, INSERT … SELECT, COPY,
concurrent sign-ups on many connections, a rolled-back transaction, deletes and TRUNCATE.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from alembic import command

import authmesh_identity
from authmesh_identity.domain.admin_user_query import ListingRequest, user_query
from authmesh_identity.store.admin_queries import PostgresUserDirectory
from authmesh_kit.db.engine import create_engine
from authmesh_kit.db.migrations import alembic_config
from authmesh_kit.stack.backing import DEFAULT_TEST_DATABASE_URL, fresh_database

pytestmark = pytest.mark.integration

MIGRATIONS = Path(authmesh_identity.__file__).parent / "store" / "migrations"
BEFORE_COUNTS = "0007"  # the revision before the user counts


@pytest_asyncio.fixture(loop_scope="session")
async def database_url() -> AsyncIterator[str]:
    async with fresh_database(DEFAULT_TEST_DATABASE_URL, prefix="authmesh_user_count") as url:
        yield url


def migrate(url: str, revision: str) -> None:
    command.upgrade(alembic_config(MIGRATIONS, url), revision)


async def insert_users(conn: asyncpg.Connection, prefix: str, count: int) -> None:
    await conn.execute(
        "INSERT INTO identity.users (id, name, email)"
        " SELECT $1 || n, 'User ' || n, $1 || n || '@example.test'"
        " FROM generate_series(1, $2::int) AS n",
        prefix,
        count,
    )


async def sign_up_one_by_one(url: str, prefix: str, count: int) -> None:
    """`count` users, each in a transaction of its own, as sign-ups arrive."""
    conn = await asyncpg.connect(url)
    try:
        for n in range(count):
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO identity.users (id, name, email) VALUES ($1, 'U', $2)",
                    f"{prefix}{n}",
                    f"{prefix}{n}@example.test",
                )
    finally:
        await conn.close()


async def test_the_unfiltered_total_is_exactly_the_number_of_users(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url, BEFORE_COUNTS)
    conn = await asyncpg.connect(database_url)
    engine = create_engine(database_url, "identity")
    directory = PostgresUserDirectory(engine, timeout_ms=10_000)
    everyone = user_query(ListingRequest(limit=1))
    assert everyone is not None and everyone.conditions == ()

    async def total_matches() -> int:
        counted: int = await conn.fetchval("SELECT count(*) FROM identity.users")
        page = await directory.list_users(everyone)
        assert page.total == counted
        return counted

    try:
        await insert_users(conn, "before-", 250)  # users the migration finds
        await asyncio.to_thread(migrate, database_url, "head")
        assert await total_matches() == 250

        await insert_users(conn, "bulk-", 1000)
        await conn.copy_records_to_table(
            "users",
            schema_name="identity",
            columns=["id", "name", "email"],
            records=[(f"copied-{n}", "C", f"copied-{n}@example.test") for n in range(300)],
        )
        assert await total_matches() == 1550

        # Eight connections signing up at once: each adds to a stripe of its own.
        await asyncio.gather(*(sign_up_one_by_one(database_url, f"c{c}-", 40) for c in range(8)))
        assert await total_matches() == 1870
        stripes = await conn.fetchval("SELECT count(*) FROM identity.user_counts WHERE users > 0")
        assert stripes > 1

        with pytest.raises(asyncpg.UniqueViolationError):
            async with conn.transaction():
                await insert_users(conn, "undone-", 10)
                await insert_users(conn, "before-", 1)  # an id taken: all of it rolls back
        assert await total_matches() == 1870

        await conn.execute("DELETE FROM identity.users WHERE id LIKE 'bulk-%'")
        await conn.execute("DELETE FROM identity.users WHERE id = 'before-1'")
        await conn.execute("DELETE FROM identity.users WHERE id = 'no-such-user'")
        assert await total_matches() == 869

        await conn.execute("TRUNCATE identity.users CASCADE")
        assert await total_matches() == 0
        await insert_users(conn, "after-", 3)
        assert await total_matches() == 3
    finally:
        await conn.close()
        await engine.dispose()
