"""Where each SIEM endpoint is in the chain: a cursor per URL, driven from the database, so any
replica can carry on where another stopped, and one slow endpoint holds up only itself."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from authmesh_audit.domain.model import ChainedEntry
from authmesh_audit.store.rows import ENTRY_COLUMNS, chained_entry
from authmesh_audit.store.tables import chain_head, entries, webhook_cursors, webhook_dead_letters


@dataclass(frozen=True)
class Cursor:
    url: str
    delivered_sequence: int
    attempts: int
    next_attempt_at: datetime


class PostgresWebhookStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def register(self, url: str) -> None:
        """A new endpoint receives the entries recorded from now on, not the whole history."""
        async with self._engine.begin() as conn:
            head = select(chain_head.c.sequence).where(chain_head.c.id == 1).scalar_subquery()
            await conn.execute(
                insert(webhook_cursors)
                .values(url=url, delivered_sequence=head)
                .on_conflict_do_nothing(index_elements=[webhook_cursors.c.url])
            )

    @asynccontextmanager
    async def exclusive(self, url: str) -> AsyncIterator[bool]:
        """Whether this process may deliver to `url` now: one replica at a time, for as long as
        the block runs (a transaction-scoped advisory lock on a connection of its own)."""
        async with self._engine.connect() as conn, conn.begin():
            name = func.concat("authmesh.audit.webhook.", url)
            yield bool(
                await conn.scalar(select(func.pg_try_advisory_xact_lock(func.hashtext(name))))
            )

    async def cursor(self, url: str) -> Cursor:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(webhook_cursors).where(webhook_cursors.c.url == url))
            ).one()
        return Cursor(row.url, row.delivered_sequence, row.attempts, row.next_attempt_at)

    async def entries_after(self, sequence: int, limit: int) -> list[ChainedEntry]:
        query = (
            select(*ENTRY_COLUMNS)
            .where(entries.c.sequence > sequence)
            .order_by(entries.c.sequence)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [chained_entry(row) for row in await conn.execute(query)]

    async def delivered(self, url: str, sequence: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(webhook_cursors)
                .where(webhook_cursors.c.url == url)
                .values(delivered_sequence=sequence, attempts=0, last_error="")
            )

    async def failed(self, url: str, attempts: int, retry_at: datetime, error: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(webhook_cursors)
                .where(webhook_cursors.c.url == url)
                .values(attempts=attempts, next_attempt_at=retry_at, last_error=error)
            )

    async def dead_letter(self, url: str, entry: ChainedEntry, attempts: int, error: str) -> None:
        """Gives up on `entry` for `url`, records it, and moves on to the next one."""
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(webhook_dead_letters)
                .values(
                    url=url,
                    sequence=entry.sequence,
                    event_id=entry.entry.event_id,
                    attempts=attempts,
                    last_error=error,
                )
                .on_conflict_do_nothing()
            )
            await conn.execute(
                update(webhook_cursors)
                .where(webhook_cursors.c.url == url)
                .values(delivered_sequence=entry.sequence, attempts=0, last_error="")
            )
