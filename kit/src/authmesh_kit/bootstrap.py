"""The privileged set-up step: service roles and schemas in Postgres, streams in NATS (DESIGN §4).

Idempotent and safe to race (two replicas of a Helm hook, or the test session and `make up`):
the Postgres part runs in one transaction under an advisory lock, and every NATS stream is
created or updated in place. Each service then migrates and runs as its own role, which owns
its schema and has no access to any other.

    AUTHMESH_DATABASE_URL=postgresql://admin@db/authmesh \
    AUTHMESH_NATS_URL=nats://admin:pw@nats:4222 python -m authmesh_kit.bootstrap

For a managed Postgres where a DBA runs the SQL instead, per service (role `<namespace>_<svc>`):

    CREATE ROLE "<role>" LOGIN PASSWORD '<password>';
    CREATE SCHEMA IF NOT EXISTS "<svc>" AUTHORIZATION "<role>";
    REVOKE ALL ON DATABASE "<db>" FROM PUBLIC;
    GRANT CONNECT, TEMPORARY ON DATABASE "<db>" TO "<role>";
"""

import asyncio
import base64
import os
import re
from collections.abc import Mapping

import asyncpg
import nats
import structlog
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError
from scramp import ScramMechanism

from authmesh_kit.events.names import (
    AUTH_EVENTS,
    NOTIFY,
    auth_subjects,
    notify_subjects,
    stream_name,
)
from authmesh_kit.observability.logging import setup_logging
from authmesh_kit.settings import DATABASE_SERVICES, namespace_from_database_url

log = structlog.get_logger(__name__)

# Everything interpolated into SQL matches one of these first; values go through parameters.
_NAMESPACE = re.compile(r"^[a-z0-9_]{1,40}$")
_DATABASE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$")
_LOCK_KEY = "authmesh.bootstrap"
_SCRAM_ITERATIONS = 4096
# nats-server's error code for "stream name already in use with a different configuration".
_STREAM_NAME_IN_USE = 10058

AUTH_EVENTS_MAX_AGE_S = 30 * 24 * 3600.0
AUTH_EVENTS_DUPLICATE_WINDOW_S = 600.0
# A notification carries secrets (reset links, OTPs) that expire within the hour.
NOTIFY_MAX_AGE_S = 3600.0


class BootstrapError(Exception):
    """The set-up cannot proceed; the message says which input is wrong, never a secret."""


def role_name(namespace: str, service: str) -> str:
    if not _NAMESPACE.fullmatch(namespace):
        raise BootstrapError(f"namespace {namespace!r} must match {_NAMESPACE.pattern}")
    if service not in DATABASE_SERVICES:
        raise BootstrapError(f"{service!r} is not a service with a database")
    return f"{namespace}_{service}"


def scram_sha256_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = _SCRAM_ITERATIONS
) -> str:
    """The SCRAM-SHA-256 secret PostgreSQL stores for `password` (RFC 5802 §3, RFC 7677),
    computed by `scramp` (SASLprep included, as PostgreSQL applies it).

    Sending this instead of the password keeps the cleartext out of the server's statement
    log (`log_statement = ddl` records every ALTER ROLE).
    """
    salt, stored_key, server_key, iterations = ScramMechanism("SCRAM-SHA-256").make_auth_info(
        password, iteration_count=iterations, salt=salt
    )

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


async def _ensure_role(connection: asyncpg.Connection, role: str, password: str | None) -> None:
    # The verifier is base64, digits, '$' and ':' only, so it cannot close the literal.
    credential = f" PASSWORD '{scram_sha256_verifier(password)}'" if password else ""
    exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    verb = "ALTER" if exists else "CREATE"
    await connection.execute(f'{verb} ROLE "{role}" LOGIN{credential}')


async def ensure_database(database_url: str, namespace: str, passwords: Mapping[str, str]) -> None:
    """Roles and schemas for every database service, in one transaction under a lock."""
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        database = await connection.fetchval("SELECT current_database()")
        if not _DATABASE.fullmatch(database):
            raise BootstrapError(f"database name {database!r} must match {_DATABASE.pattern}")
        async with connection.transaction():
            # Serialises concurrent runs: each sees the roles the previous one committed.
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", _LOCK_KEY)
            await connection.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
            for service in DATABASE_SERVICES:
                role = role_name(namespace, service)
                await _ensure_role(connection, role, passwords.get(service))
                await connection.execute(
                    f'CREATE SCHEMA IF NOT EXISTS "{service}" AUTHORIZATION "{role}"'
                )
                # A schema made earlier by someone else (or `migrate` without bootstrap).
                await connection.execute(f'ALTER SCHEMA "{service}" OWNER TO "{role}"')
                await connection.execute(
                    f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO "{role}"'
                )
                log.info("database role ready", role=role, schema=service)
    finally:
        await connection.close()


def stream_configs(namespace: str) -> list[StreamConfig]:
    return [
        StreamConfig(
            name=stream_name(namespace, AUTH_EVENTS),
            subjects=[auth_subjects(namespace)],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            duplicate_window=AUTH_EVENTS_DUPLICATE_WINDOW_S,
            max_age=AUTH_EVENTS_MAX_AGE_S,
        ),
        StreamConfig(
            name=stream_name(namespace, NOTIFY),
            subjects=[notify_subjects(namespace)],
            storage=StorageType.FILE,
            retention=RetentionPolicy.WORK_QUEUE,
            max_age=NOTIFY_MAX_AGE_S,
        ),
    ]


async def _create_or_update(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        await js.add_stream(config)
    except BadRequestError as exc:
        if exc.err_code != _STREAM_NAME_IN_USE:
            raise
        await js.update_stream(config)
    log.info("stream ready", stream=config.name)


async def ensure_streams(nats_url: str, namespace: str) -> None:
    if not _NAMESPACE.fullmatch(namespace):
        raise BootstrapError(f"namespace {namespace!r} must match {_NAMESPACE.pattern}")
    client = await nats.connect(nats_url, allow_reconnect=False, connect_timeout=5)
    try:
        js = client.jetstream()
        for config in stream_configs(namespace):
            await _create_or_update(js, config)
    finally:
        await client.close()


async def bootstrap(
    database_url: str, namespace: str, passwords: Mapping[str, str], nats_url: str | None
) -> None:
    """Everything privileged a stack needs before its services migrate and start.

    `passwords` maps a database service to its role's password; a service left out keeps the
    password its role has. Without `nats_url` only the database is set up.
    """
    await ensure_database(database_url, namespace, passwords)
    if nats_url:
        await ensure_streams(nats_url, namespace)


def main() -> None:
    database_url = os.environ.get("AUTHMESH_DATABASE_URL")
    if not database_url:
        raise SystemExit("AUTHMESH_DATABASE_URL is required")
    setup_logging("bootstrap", os.environ.get("AUTHMESH_LOG_LEVEL", "info"))
    namespace = os.environ.get("AUTHMESH_NAMESPACE") or namespace_from_database_url(database_url)
    passwords = {
        service: password
        for service in DATABASE_SERVICES
        if (password := os.environ.get(f"AUTHMESH_{service.upper()}_DATABASE_PASSWORD"))
    }
    asyncio.run(bootstrap(database_url, namespace, passwords, os.environ.get("AUTHMESH_NATS_URL")))


if __name__ == "__main__":
    main()
