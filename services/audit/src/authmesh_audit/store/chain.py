"""Reading the chain for a verification: one consistent snapshot for the whole walk."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_audit.domain.model import GENESIS, Anchor, ChainedEntry
from authmesh_audit.store.rows import ENTRY_COLUMNS, chained_entry
from authmesh_audit.store.tables import anchors, chain_head, entries


class PostgresChainSnapshot:
    """The chain as one REPEATABLE READ transaction sees it: appends and retention that
    commit meanwhile are invisible, so a walk never mistakes them for tampering."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def anchor(self) -> Anchor:
        row = (
            await self._conn.execute(
                select(anchors.c.sequence, anchors.c.hash)
                .order_by(anchors.c.sequence.desc())
                .limit(1)
            )
        ).first()
        return GENESIS if row is None else Anchor(row.sequence, row.hash)

    async def head(self) -> Anchor:
        row = (
            await self._conn.execute(
                select(chain_head.c.sequence, chain_head.c.hash).where(chain_head.c.id == 1)
            )
        ).one()
        return Anchor(row.sequence, row.hash)

    async def entries_after(self, sequence: int, up_to: int, limit: int) -> list[ChainedEntry]:
        query = (
            select(*ENTRY_COLUMNS)
            .where(entries.c.sequence > sequence, entries.c.sequence <= up_to)
            .order_by(entries.c.sequence)
            .limit(limit)
        )
        return [chained_entry(row) for row in await self._conn.execute(query)]


class PostgresChainStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[PostgresChainSnapshot]:
        async with self._engine.connect() as conn:
            conn = await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with conn.begin():
                yield PostgresChainSnapshot(conn)
