"""Postgres implementation of the audit store: chained appends and the filtered listing."""

from typing import Any

from sqlalchemy import ARRAY, Text, and_, any_, bindparam, cast, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from authmesh_audit.domain.chain import entry_hash
from authmesh_audit.domain.model import AuditEntry, ChainedEntry, EventFilter, Position
from authmesh_audit.store.rows import ENTRY_COLUMNS, EVENT_COLUMNS, chained_entry
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


# The chain head, locked; `seen_sequence`, the head as the statement's snapshot saw it (before
# any wait for the lock); and which of the batch's event ids the chain holds already.
_seen_head = chain_head.alias("seen_head")
_LOCK_HEAD = (
    select(
        chain_head.c.sequence,
        chain_head.c.hash,
        select(_seen_head.c.sequence)
        .where(_seen_head.c.id == 1)
        .scalar_subquery()
        .label("seen_sequence"),
        func.array(
            select(entries.c.event_id)
            .where(entries.c.event_id == any_(bindparam("event_ids", type_=ARRAY(Text))))
            .scalar_subquery(),
            type_=ARRAY(Text),
        ).label("stored"),
    )
    .where(chain_head.c.id == 1)
    .with_for_update(of=chain_head)
)

# The entries, each column bound as one array, and the head moved to the last of them, in one
# statement compiled once for any batch size (a multi-row VALUES would be compiled anew for
# each). The payload goes as its JSON text. `recorded_at` is the column's default,
# clock_timestamp() at each row, evaluated in the arrays' order under the head's lock: it grows
# with the sequence, which retention relies on.
_CHAINED = [
    *EVENT_COLUMNS,
    entries.c.payload,
    entries.c.sequence,
    entries.c.prev_hash,
    entries.c.hash,
]
_rows = (
    func.unnest(
        *[
            bindparam(
                column.name, type_=ARRAY(Text if column is entries.c.payload else column.type)
            )
            for column in _CHAINED
        ]
    )
    .table_valued(*[column.name for column in _CHAINED])
    .render_derived("chained")
)
_move_head = (
    update(chain_head)
    .where(chain_head.c.id == 1)
    .values(sequence=bindparam("head_sequence"), hash=bindparam("head_hash"))
    .cte("moved_head")
)
_APPEND = (
    insert(entries)
    .from_select(
        _CHAINED,
        select(
            *[
                cast(_rows.c.payload, JSONB)
                if column is entries.c.payload
                else _rows.c[column.name]
                for column in _CHAINED
            ]
        ),
    )
    .add_cte(_move_head)
)


class PostgresAuditStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(self, conn: AsyncConnection, batch: list[AuditEntry]) -> list[AuditEntry]:
        """Chains the entries after the head, in order, in the caller's transaction; an entry
        whose event id is stored already is skipped (the chain never holds one twice). The
        entries chained, in chain order."""
        event_ids = {"event_ids": [entry.event_id for entry in batch]}
        head = (await conn.execute(_LOCK_HEAD, event_ids)).one()
        if head.seen_sequence != head.sequence:
            # An append committed while this one waited for the lock, after the statement's
            # snapshot: its entries may be missing from `stored`. Read again under the lock.
            head = (await conn.execute(_LOCK_HEAD, event_ids)).one()
        stored = set(head.stored)
        sequence, prev_hash = head.sequence, head.hash
        chained: list[AuditEntry] = []
        columns: dict[str, list[Any]] = {column.name: [] for column in _CHAINED}
        for entry in batch:
            if entry.event_id in stored:
                continue
            stored.add(entry.event_id)
            sequence += 1
            digest = entry_hash(entry, sequence, prev_hash)
            for column in EVENT_COLUMNS:
                columns[column.name].append(getattr(entry, column.name))
            columns["payload"].append(entry.payload_json)
            columns["sequence"].append(sequence)
            columns["prev_hash"].append(prev_hash)
            columns["hash"].append(digest)
            chained.append(entry)
            prev_hash = digest
        if chained:
            await conn.execute(
                _APPEND, {**columns, "head_sequence": sequence, "head_hash": prev_hash}
            )
        return chained

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
