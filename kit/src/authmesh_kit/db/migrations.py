"""Alembic per service, its version table inside the service's own schema.

Each service's `migrations/env.py` calls `run_env(metadata, schema)`; `upgrade()` runs
`alembic upgrade head` programmatically for the `migrate` command.
"""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from authmesh_kit.db.engine import asyncpg_url


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", asyncpg_url(database_url).replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str) -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), "head")


def _run_sync(connection: Connection, metadata: MetaData, schema: str) -> None:
    # Bootstrap made the schema, owned by the service role, which may not create schemas; a
    # database without bootstrap (a developer's scratch one) gets it here.
    exists = connection.scalar(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema})
    if not exists:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_name=lambda name, kind, _: name == schema if kind == "schema" else True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_env(metadata: MetaData, schema: str) -> None:
    """The body of every service's alembic env.py (online mode only: migrations run live)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is set by alembic_config"

    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync, metadata, schema)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
