"""The session schema: sessions keyed by the SHA-256 of their token."""

from sqlalchemy import Boolean, Column, DateTime, Index, LargeBinary, MetaData, Table, Text

from authmesh_kit.db.kit_tables import outbox_table, processed_events_table

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

# The JWT signing keys (domain/signing_keys.py), Better-Auth's `jwks` table with the private
# key sealed by the key ring: its key id, nonce and ciphertext.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("id", Text, primary_key=True),
    Column("alg", Text, nullable=False),
    Column("crv", Text, nullable=False),
    Column("public_key", Text, nullable=False),
    Column("private_key_ring_id", Text, nullable=False),
    Column("private_key_nonce", LargeBinary, nullable=False),
    Column("private_key_ciphertext", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("signing_keys_expires_at", "expires_at"),
)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
