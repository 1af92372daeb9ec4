"""Entry rows to domain objects and back, shared by the audit stores."""

import json
from typing import Any

from sqlalchemy import Column

from authmesh_audit.domain.model import AuditEntry, ChainedEntry
from authmesh_audit.store.tables import entries

# The columns that hold an AuditEntry's fields as they are (the payload is JSONB beside them).
EVENT_COLUMNS: list[Column[Any]] = [
    column
    for column in entries.columns
    if column.name not in ("payload", "recorded_at", "sequence", "prev_hash", "hash")
]
ENTRY_COLUMNS: list[Column[Any]] = [
    *EVENT_COLUMNS,
    entries.c.payload,
    entries.c.sequence,
    entries.c.prev_hash,
    entries.c.hash,
    entries.c.recorded_at,
]


def chained_entry(row: Any) -> ChainedEntry:
    mapping = row._mapping
    values = {column.name: mapping[column.name] for column in EVENT_COLUMNS}
    payload_json = json.dumps(mapping["payload"], separators=(",", ":"), ensure_ascii=False)
    return ChainedEntry(
        entry=AuditEntry(payload_json=payload_json, **values),
        sequence=mapping["sequence"],
        prev_hash=mapping["prev_hash"],
        hash=mapping["hash"],
        recorded_at=mapping["recorded_at"],
    )
