"""The session schema: sessions keyed by the SHA-256 of their token."""

from sqlalchemy import Boolean, Column, DateTime, Index, LargeBinary, MetaData, Table, Text

from authmesh_kit.db.kit_tables import kit_tables

SCHEMA = "session"
metadata = MetaData(schema=SCHEMA)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", LargeBinary, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("user_id", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("ip_address", Text, nullable=False),
    Column("user_agent", Text, nullable=False),
    Column("dont_remember", Boolean, nullable=False),
    Column("active_organization_id", Text),
    Column("active_team_id", Text),
    Column("impersonated_by", Text),
    Index("sessions_user_id", "user_id"),
    Index("sessions_expires_at", "expires_at"),
)

_kit = kit_tables(metadata)
outbox = _kit.outbox
processed_events = _kit.processed_events
