"""The async SQLAlchemy engine of a service: its own role, its own schema, a small pool."""

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool


def asyncpg_url(url: str) -> str:
    """Accepts the plain `postgresql://` form operators write and selects the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("the database URL must start with postgresql://")


def _connect_args(schema: str) -> dict[str, object]:
    return {
        "server_settings": {"search_path": schema, "application_name": f"authmesh-{schema}"},
        "timeout": 5,
        "command_timeout": 10,
    }


def create_engine(url: str, schema: str, pool_size: int = 5, max_overflow: int = 5) -> AsyncEngine:
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
        connect_args=_connect_args(schema),
    )


def single_statements(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, without transactions, for a read that is one statement (which
    Postgres runs atomically anyway): no BEGIN and ROLLBACK around it, one round trip instead
    of three. A pooled connection goes back to the pool's default afterwards."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def create_unpooled_engine(url: str, schema: str) -> AsyncEngine:
    """For work done now and then (the purge): connects for each use and keeps nothing open,
    where a pool would hold idle connections between runs."""
    return create_async_engine(
        asyncpg_url(url), poolclass=NullPool, connect_args=_connect_args(schema)
    )
