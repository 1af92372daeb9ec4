"""Postgres implementation of the audit store: chained appends and the filtered listing."""

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from authmesh_audit.domain.chain import entry_hash
from authmesh_audit.domain.model import AuditEntry, ChainedEntry, EventFilter, Position
from authmesh_audit.store.rows import ENTRY_COLUMNS, chained_entry, entry_values
from authmesh_audit.store.tables import chain_head, entries


def _conditions(event_filter: EventFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if event_filter.user_id:
        conditions.append(entries.c.user_id == event_filter.user_id)
    if event_filter.organization_id:
        conditions.append(entries.c.organization_id == event_filter.organization_id)
    if event_filter.types:
        conditions.append(entries.c.type.in_(event_filter.types))
    if event_filter.ip:
        conditions.append(entries.c.ip == event_filter.ip)
    if event_filter.occurred_from is not None:
        conditions.append(entries.c.occurred_at >= event_filter.occurred_from)
    if event_filter.occurred_to is not None:
        conditions.append(entries.c.occurred_at < event_filter.occurred_to)
    return conditions


def _before(position: Position) -> ColumnElement[bool]:
    """Strictly after `position` in the newest-first order. Spelled out rather than as a row
    comparison so that the planner bounds the index range by occurred_at."""
    return and_(
        entries.c.occurred_at <= position.occurred_at,
        or_(
            entries.c.occurred_at < position.occurred_at,
            entries.c.sequence < position.sequence,
        ),
    )


class PostgresAuditStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(self, conn: AsyncConnection, batch: list[AuditEntry]) -> int:
        """Chains the entries after the head, in order, in the caller's transaction; an entry
        whose event id is stored already is skipped (the chain never holds one twice). The
        number chained."""
        head = (
            await conn.execute(
                select(chain_head.c.sequence, chain_head.c.hash)
                .where(chain_head.c.id == 1)
                .with_for_update()
            )
        ).one()
        # Read under the head's lock: every append that committed before is visible.
        stored = set(
            (
                await conn.execute(
                    select(entries.c.event_id).where(
                        entries.c.event_id.in_([entry.event_id for entry in batch])
                    )
                )
            ).scalars()
        )
        sequence, prev_hash, rows = head.sequence, head.hash, []
        for entry in batch:
            if entry.event_id in stored:
                continue
            stored.add(entry.event_id)
            sequence += 1
            digest = entry_hash(entry, sequence, prev_hash)
            rows.append(
                entry_values(entry) | {"sequence": sequence, "prev_hash": prev_hash, "hash": digest}
            )
            prev_hash = digest
        if not rows:
            return 0
        # One statement compiled once for the whole batch (a multi-row VALUES would be compiled
        # anew for each, which costs more than the rest of the append). `recorded_at` is the
        # column's default, clock_timestamp() at each row under the head's lock: it grows with
        # the sequence, which retention relies on.
        await conn.execute(insert(entries), rows)
        await conn.execute(
            update(chain_head).where(chain_head.c.id == 1).values(sequence=sequence, hash=prev_hash)
        )
        return len(rows)

    async def list_entries(
        self, event_filter: EventFilter, limit: int, after: Position | None
    ) -> list[ChainedEntry]:
        """Newest first by (occurred_at, sequence), from just after `after`."""
        conditions = _conditions(event_filter)
        if after is not None:
            conditions.append(_before(after))
        query = (
            select(*ENTRY_COLUMNS)
            .where(*conditions)
            .order_by(entries.c.occurred_at.desc(), entries.c.sequence.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [chained_entry(row) for row in await conn.execute(query)]
