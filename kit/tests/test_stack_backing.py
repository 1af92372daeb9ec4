"""bootstrap against the real Postgres: each service role owns its schema and nothing else."""

import asyncio
import base64
from collections.abc import AsyncIterator

import asyncpg
import pytest

from authmesh_kit.bootstrap import (
    BootstrapError,
    bootstrap,
    role_name,
    scram_sha256_verifier,
)
from authmesh_kit.settings import DATABASE_SERVICES, namespace_from_database_url
from authmesh_kit.stack.backing import Backing, fresh_database
from authmesh_kit.stack.plan import with_credentials

pytestmark = pytest.mark.integration


@pytest.fixture
async def database(backing: Backing) -> AsyncIterator[str]:
    # Its own database, so these tests never touch the schemas the session's stack uses.
    async with fresh_database(backing.database_url, prefix="authmesh_b") as url:
        yield url


async def connect_as(database_url: str, service: str) -> asyncpg.Connection:
    namespace = namespace_from_database_url(database_url)
    role = role_name(namespace, service)
    return await asyncpg.connect(with_credentials(database_url, role, "unused-on-trust"))


async def test_a_role_uses_its_own_schema_and_cannot_read_another(database: str) -> None:
    namespace = namespace_from_database_url(database)
    await bootstrap(database, namespace, {}, None)
    session = await connect_as(database, "session")
    identity = await connect_as(database, "identity")
    try:
        await session.execute("CREATE TABLE session.tokens (hash text)")
        await session.execute("INSERT INTO session.tokens VALUES ('x')")
        await identity.execute("CREATE TABLE identity.users (id text)")
        assert await identity.fetchval("SELECT count(*) FROM identity.users") == 0

        can_use = await identity.fetchval(
            "SELECT has_schema_privilege(current_user, 'session', 'USAGE')"
        )
        assert can_use is False
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await identity.fetchval("SELECT hash FROM session.tokens")
    finally:
        await session.close()
        await identity.close()


async def test_roles_outside_the_stack_cannot_connect(database: str) -> None:
    namespace = namespace_from_database_url(database)
    await bootstrap(database, namespace, {}, None)
    admin = await asyncpg.connect(database)
    outsider = f"{namespace}_outsider"  # named after the database: dropped with it
    try:
        await admin.execute(f'CREATE ROLE "{outsider}" LOGIN')
    finally:
        await admin.close()
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
        await asyncpg.connect(with_credentials(database, outsider, "x"))


async def test_concurrent_runs_all_succeed(database: str) -> None:
    namespace = namespace_from_database_url(database)
    passwords = dict.fromkeys(DATABASE_SERVICES, "a-password")
    await asyncio.gather(*(bootstrap(database, namespace, passwords, None) for _ in range(4)))
    await bootstrap(database, namespace, passwords, None)  # and again, once all is there

    admin = await asyncpg.connect(database)
    try:
        owners = await admin.fetch(
            "SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace"
            " WHERE nspname = ANY($1::text[])",
            list(DATABASE_SERVICES),
        )
    finally:
        await admin.close()
    assert {row["nspname"]: row["owner"] for row in owners} == {
        service: role_name(namespace, service) for service in DATABASE_SERVICES
    }


async def test_an_existing_schema_is_handed_to_its_role(database: str) -> None:
    namespace = namespace_from_database_url(database)
    admin = await asyncpg.connect(database)
    try:
        await admin.execute("CREATE SCHEMA audit")
        await bootstrap(database, namespace, {}, None)
        owner = await admin.fetchval(
            "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'audit'"
        )
    finally:
        await admin.close()
    assert owner == role_name(namespace, "audit")


async def test_passwords_are_sent_and_stored_as_scram_verifiers(database: str) -> None:
    namespace = namespace_from_database_url(database)
    await bootstrap(database, namespace, {"mfa": 'it\'s a "password"'}, None)
    admin = await asyncpg.connect(database)
    try:
        stored = await admin.fetchval(
            "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role_name(namespace, "mfa")
        )
        # Postgres's own hash of a known password, to check ours is computed the same way.
        probe = f"{namespace}_scram_probe"
        await admin.execute("SET password_encryption = 'scram-sha-256'")
        await admin.execute(f"CREATE ROLE \"{probe}\" PASSWORD 'pencil'")
        reference = await admin.fetchval(
            "SELECT rolpassword FROM pg_authid WHERE rolname = $1", probe
        )
    finally:
        await admin.close()

    iterations, salt = stored.removeprefix("SCRAM-SHA-256$").split("$")[0].split(":")
    assert stored == scram_sha256_verifier(
        'it\'s a "password"', salt=base64.b64decode(salt), iterations=int(iterations)
    )
    iterations, salt = reference.removeprefix("SCRAM-SHA-256$").split("$")[0].split(":")
    assert reference == scram_sha256_verifier(
        "pencil", salt=base64.b64decode(salt), iterations=int(iterations)
    )


def test_identifiers_are_checked_before_they_reach_sql() -> None:
    with pytest.raises(BootstrapError):
        role_name('x"; DROP ROLE postgres; --', "identity")
    with pytest.raises(BootstrapError):
        role_name("authmesh", "gateway")
    assert role_name("authmesh_t_1", "org") == "authmesh_t_1_org"


async def test_a_fresh_database_leaves_nothing_behind(backing: Backing) -> None:
    async with fresh_database(backing.database_url, prefix="authmesh_b") as url:
        namespace = namespace_from_database_url(url)
        await bootstrap(url, namespace, {}, None)
    admin = await asyncpg.connect(backing.database_url)
    try:
        databases = await admin.fetchval(
            "SELECT count(*) FROM pg_database WHERE datname = $1", namespace
        )
        roles = await admin.fetchval(
            "SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)", namespace + "_"
        )
    finally:
        await admin.close()
    assert (databases, roles) == (0, 0)
