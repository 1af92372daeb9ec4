"""Postgres implementation of the audit store."""

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_audit.domain.model import AuditEntry
from authmesh_audit.store.tables import entries

_COLUMNS = [column for column in entries.columns if column.name not in ("payload", "recorded_at")]


def _entry(row: Any) -> AuditEntry:
    values = {column.name: row._mapping[column.name] for column in _COLUMNS}
    return AuditEntry(payload_json=json.dumps(row.payload, separators=(",", ":")), **values)


class PostgresAuditStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(self, conn: AsyncConnection, entry: AuditEntry) -> None:
        values = {column.name: getattr(entry, column.name) for column in _COLUMNS}
        await conn.execute(
            insert(entries)
            .values(payload=json.loads(entry.payload_json), **values)
            .on_conflict_do_nothing(index_elements=[entries.c.event_id])
        )

    async def list_for_user(
        self, user_id: str, limit: int, before_event_id: str | None
    ) -> list[AuditEntry]:
        query = select(*_COLUMNS, entries.c.payload).where(entries.c.user_id == user_id)
        if before_event_id is not None:
            query = query.where(entries.c.event_id < before_event_id)
        query = query.order_by(entries.c.event_id.desc()).limit(limit)
        async with self._engine.connect() as conn:
            return [_entry(row) for row in await conn.execute(query)]
