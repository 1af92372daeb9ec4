"""The audit schema: entries in a hash chain (keyed by event id, so storing twice is
impossible), the chain's head, the anchors retention leaves, and the SIEM webhook cursors."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

SCHEMA = "audit"
metadata = MetaData(schema=SCHEMA)

entries = Table(
    "entries",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column(
        "recorded_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.clock_timestamp(),
    ),
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
    Column("sequence", BigInteger, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    # The chain is walked, and retention removes, in sequence order.
    Index("entries_sequence", "sequence", unique=True),
    # The listing order (occurred_at, sequence) under each filter, so that a page is an index
    # range however many rows the table holds.
    Index("entries_occurred_at", "occurred_at", "sequence"),
    Index("entries_user", "user_id", "occurred_at", "sequence"),
    Index("entries_organization", "organization_id", "occurred_at", "sequence"),
    Index("entries_type", "type", "occurred_at", "sequence"),
    Index("entries_ip", "ip", "occurred_at", "sequence"),
)

# One row: the last entry of the chain. Appending locks it FOR UPDATE, so appends from every
# replica form one line.
chain_head = Table(
    "chain_head",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("sequence", BigInteger, nullable=False),
    Column("hash", Text, nullable=False),
    CheckConstraint("id = 1", name="chain_head_one_row"),
)

# The last entry each retention run removed: a verification starts from the newest.
anchors = Table(
    "anchors",
    metadata,
    Column("sequence", BigInteger, primary_key=True),
    Column("hash", Text, nullable=False),
    Column("removed", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Per SIEM endpoint: the last entry delivered (or dead-lettered), and the state of the attempts
# at the next one.
webhook_cursors = Table(
    "webhook_cursors",
    metadata,
    Column("url", Text, primary_key=True),
    Column("delivered_sequence", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text, nullable=False, server_default=""),
)

# Entries an endpoint refused or never answered for every attempt.
webhook_dead_letters = Table(
    "webhook_dead_letters",
    metadata,
    Column("url", Text, primary_key=True),
    Column("sequence", BigInteger, primary_key=True),
    Column("event_id", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
