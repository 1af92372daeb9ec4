"""Data growth (issue 4 scope 3): users, their credential accounts and one session each are
added to Authmesh's tables with COPY, all with one precomputed argon2 hash, until the users and
sessions tables hold the size asked for; then ANALYZE, as autovacuum would in production.

A sample of the seeded sessions keeps its token, signed into a cookie as the gateway would sign
it, so that get-session can be driven over many sessions rather than one hot row.
"""

import asyncio
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from argon2 import PasswordHasher

from authmesh_gateway.wire.cookies import sign_cookie_value
from authmesh_identity.settings import IdentitySettings
from authmesh_kit.ids import new_id

SESSION_COOKIE = "better-auth.session_token"
SAMPLE_SESSIONS = 500
SECOND = timedelta(seconds=1)
_CHUNK = 50_000
_USER_COLUMNS = ["id", "name", "email", "email_verified", "created_at", "updated_at"]
_ACCOUNT_COLUMNS = ["id", "account_id", "provider_id", "user_id", "password", "created_at"]
_ACCOUNT_COLUMNS += ["updated_at"]
_SESSION_COLUMNS = ["token_hash", "id", "user_id", "expires_at", "created_at", "updated_at"]
_SESSION_COLUMNS += ["ip_address", "user_agent", "dont_remember"]


def _one_hash() -> str:
    settings = IdentitySettings.model_construct()
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )
    return hasher.hash(secrets.token_urlsafe(16))


async def _count(conn: asyncpg.Connection, table: str) -> int:
    count: int = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - ours
    return count


@dataclass(frozen=True)
class Seeded:
    users: int
    sessions: int
    cookies: list[str]  # Cookie headers of a sample of the sessions seeded


async def seed(database_url: str, rows: int, secret: str) -> Seeded:
    """Grows identity.users and session.sessions to `rows` each."""
    conn = await asyncpg.connect(database_url)
    try:
        missing_users = rows - await _count(conn, "identity.users")
        missing_sessions = rows - await _count(conn, "session.sessions")
        batch = secrets.token_hex(4)  # keeps addresses unique across calls
        password_hash = _one_hash()
        now = datetime.now(UTC)
        for start in range(0, max(missing_users, 0), _CHUNK):
            numbers = range(start, min(start + _CHUNK, missing_users))
            chunk = [
                (new_id(), f"Seed {batch}-{n}", f"seed-{batch}-{n}@bench.test", now - n * SECOND)
                for n in numbers
            ]
            await conn.copy_records_to_table(
                "users",
                schema_name="identity",
                columns=_USER_COLUMNS,
                records=((uid, name, email, True, at, at) for uid, name, email, at in chunk),
            )
            await conn.copy_records_to_table(
                "accounts",
                schema_name="identity",
                columns=_ACCOUNT_COLUMNS,
                records=(
                    (new_id(), uid, "credential", uid, password_hash, at, at)
                    for uid, _, _, at in chunk
                ),
            )
        user_ids = [
            row["id"]
            for row in await conn.fetch(
                "SELECT id FROM identity.users LIMIT $1", max(missing_sessions, 0)
            )
        ]
        cookies = await _seed_sessions(conn, user_ids, missing_sessions, now, secret)
        if not cookies:
            raise SystemExit(f"nothing to seed: the tables already hold {rows} rows")
        await conn.execute("ANALYZE identity.users, identity.accounts, session.sessions")
        users, sessions = (
            await _count(conn, "identity.users"),
            await _count(conn, "session.sessions"),
        )
        return Seeded(users, sessions, [f"{SESSION_COOKIE}={cookie}" for cookie in cookies])
    finally:
        await conn.close()


async def _seed_sessions(
    conn: asyncpg.Connection, user_ids: list[str], count: int, now: datetime, secret: str
) -> list[str]:
    """`count` sessions, one per user of `user_ids` (as many as there are), then spread over
    them; returns the signed cookies of a sample."""
    if count <= 0 or not user_ids:
        return []
    sample: list[str] = []

    def rows() -> Iterator[tuple[object, ...]]:
        for n in range(count):
            token = secrets.token_hex(16)  # 32 characters, like Better-Auth's tokens
            if n < SAMPLE_SESSIONS:
                sample.append(sign_cookie_value(token, secret))
            yield (
                hashlib.sha256(token.encode()).digest(),
                new_id(),
                user_ids[n % len(user_ids)],
                now + timedelta(days=30),
                now,
                now,
                "10.0.0.1",
                "bench",
                False,
            )

    await conn.copy_records_to_table(
        "sessions", schema_name="session", columns=_SESSION_COLUMNS, records=rows()
    )
    return sample


def seed_to(database_url: str, rows: int, secret: str, cookie_file: Path) -> Seeded:
    """`seed`, with the sample's Cookie headers written to `cookie_file`, one a line."""
    seeded = asyncio.run(seed(database_url, rows, secret))
    cookie_file.write_text("".join(f"{cookie}\n" for cookie in seeded.cookies))
    return seeded
