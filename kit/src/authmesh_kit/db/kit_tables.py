"""The kit's own tables in a service's schema: the transactional outbox, and the ids of events
its consumers have processed (where a handler is not idempotent by itself). Described once, for
the service's table metadata and for its migrations alike."""

from types import ModuleType

from alembic.operations import Operations
from sqlalchemy import Column, DateTime, Index, LargeBinary, MetaData, Table, Text, func


def _outbox_columns() -> list[Column[object]]:
    return [
        Column("id", Text, primary_key=True),
        Column("subject", Text, nullable=False),
        # A serialized event envelope, or a sealed notify message: published as it is.
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def _processed_events_columns() -> list[Column[object]]:
    return [
        Column("event_id", Text, primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


# The purge (db/purge.py) finds old processed-event ids by it; made by each service's
# migration that follows its first one (`create_processed_events_index`).
PROCESSED_EVENTS_INDEX = "processed_events_processed_at"


def outbox_table(metadata: MetaData) -> Table:
    return Table("outbox", metadata, *_outbox_columns())


def processed_events_table(metadata: MetaData) -> Table:
    """For a service with a consumer whose handler is not idempotent by itself."""
    processed_events = Table("processed_events", metadata, *_processed_events_columns())
    Index(PROCESSED_EVENTS_INDEX, processed_events.c.processed_at)
    return processed_events


def create_kit_tables(op: Operations | ModuleType, schema: str) -> None:
    """For a service's first migration (alembic's `op` module proxies `Operations`)."""
    create_outbox(op, schema)
    op.create_table("processed_events", *_processed_events_columns(), schema=schema)


def create_outbox(op: Operations | ModuleType, schema: str) -> None:
    op.create_table("outbox", *_outbox_columns(), schema=schema)
    op.create_index("outbox_created_at", "outbox", ["created_at"], schema=schema)


def create_processed_events_index(op: Operations | ModuleType, schema: str) -> None:
    op.create_index(PROCESSED_EVENTS_INDEX, "processed_events", ["processed_at"], schema=schema)


def create_processed_events(op: Operations | ModuleType, schema: str) -> None:
    """The table with its index, for the downgrade of a migration that dropped it."""
    op.create_table("processed_events", *_processed_events_columns(), schema=schema)
    create_processed_events_index(op, schema)


def drop_kit_tables(op: Operations | ModuleType, schema: str) -> None:
    op.drop_table("processed_events", schema=schema)
    op.drop_table("outbox", schema=schema)
