"""The identity schema. Column names follow Better-Auth's so that imported data maps 1:1."""

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
)

from authmesh_kit.db.kit_tables import kit_tables

SCHEMA = "identity"
metadata = MetaData(schema=SCHEMA)

users = Table(
    "users",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("email_verified", Boolean, nullable=False, server_default=false()),
    Column("image", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("two_factor_enabled", Boolean, nullable=False, server_default=false()),
    Column("username", Text),
    Column("display_username", Text),
    Column("phone_number", Text),
    Column("phone_number_verified", Boolean, nullable=False, server_default=false()),
    Column("role", Text, nullable=False, server_default="user"),
    Column("banned", Boolean, nullable=False, server_default=false()),
    Column("ban_reason", Text),
    Column("ban_expires", DateTime(timezone=True)),
    UniqueConstraint("email", name="users_email_key"),
    UniqueConstraint("username", name="users_username_key"),
    UniqueConstraint("phone_number", name="users_phone_number_key"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("provider_id", Text, nullable=False),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("password", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("provider_id", "account_id", name="accounts_provider_account"),
    Index("accounts_user_id", "user_id"),
)

_kit = kit_tables(metadata)
outbox = _kit.outbox
processed_events = _kit.processed_events
