"""The audit schema: one row per event, keyed by event id (so storing twice is impossible)."""

from sqlalchemy import Column, DateTime, Index, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from authmesh_kit.db.kit_tables import kit_tables

SCHEMA = "audit"
metadata = MetaData(schema=SCHEMA)

entries = Table(
    "entries",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("producer", Text, nullable=False),
    Column("actor_kind", Text, nullable=False),
    Column("actor_user_id", Text, nullable=False),
    Column("ip", Text, nullable=False),
    Column("user_agent", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("organization_id", Text, nullable=False),
    Column("session_id", Text, nullable=False),
    Column("traceparent", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Index("entries_user_id_event_id", "user_id", "event_id"),
)

processed_events = kit_tables(metadata).processed_events
