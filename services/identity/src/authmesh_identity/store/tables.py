"""The identity schema. Column names follow Better-Auth's so that imported data maps 1:1."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)

from authmesh_kit.db.kit_tables import outbox_table, processed_events_table

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

# What the admin listing sorts, filters and prefix-searches by (domain/admin_user_query.py).
Index("users_created_at_id", users.c.created_at, users.c.id)
Index("users_name_id", users.c.name, users.c.id)
Index("users_email_pattern", users.c.email, postgresql_ops={"email": "text_pattern_ops"})
Index("users_name_pattern", users.c.name, postgresql_ops={"name": "text_pattern_ops"})
Index("users_role", users.c.role)
Index("users_banned", users.c.banned)

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

# One-time secrets sent as links (email verification, password reset). Only the SHA-256 of
# purpose and token is kept (domain/one_time_tokens.py); a token is used up by setting
# `consumed_at` in one conditional UPDATE.
one_time_tokens = Table(
    "one_time_tokens",
    metadata,
    Column("token_hash", LargeBinary, primary_key=True),
    Column("purpose", Text, nullable=False),
    # Empty only for a link that may create its user (a magic link to a new address).
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE")),
    Column("email", Text, nullable=False),  # the address it was sent to
    Column("new_user_name", Text),  # the name a link that creates its user gives it
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("consumed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Invalidating a user's live tokens of one purpose; consumed ones are never looked up so.
    Index(
        "one_time_tokens_live_by_user",
        "user_id",
        "purpose",
        postgresql_where=text("consumed_at IS NULL"),
    ),
    Index("one_time_tokens_expires_at", "expires_at"),  # the purge of dead tokens
)

# Short one-time codes (email and SMS OTPs): one live code per purpose and identifier (an
# address or phone number), only its hash kept, with the attempt and failure counters of
# domain/one_time_codes.py. `user_id` is empty for a code that may create its user (sign-in).
one_time_codes = Table(
    "one_time_codes",
    metadata,
    Column("purpose", Text, nullable=False),
    Column("identifier", Text, nullable=False),
    Column("code_hash", LargeBinary, nullable=False),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE")),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("consumed_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("failures", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("purpose", "identifier", name="one_time_codes_pkey"),
    Index("one_time_codes_expires_at", "expires_at"),  # the purge of dead codes
)

# The purge of used link tokens (the expired ones go by `one_time_tokens_expires_at`).
Index(
    "one_time_tokens_consumed_at",
    one_time_tokens.c.consumed_at,
    postgresql_where=text("consumed_at IS NOT NULL"),
)

# Consecutive failed password checks per account key (domain/password_throttle.py): the
# SHA-256 of the account's id, or of the login name typed when it names no account.
password_attempts = Table(
    "password_attempts",
    metadata,
    Column("account_key", LargeBinary, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Consecutive failed password checks per account key and client address ("" for checks within
# a session), and the delay the last one started (domain/password_throttle.py).
password_pair_attempts = Table(
    "password_pair_attempts",
    metadata,
    Column("account_key", LargeBinary, primary_key=True),
    Column("ip", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("password_pair_attempts_last_failed_at", password_pair_attempts.c.last_failed_at)

# When `users.two_factor_enabled` last changed, as mfa timed it (domain/use_cases/two_factor.py):
# a change applies only when newer, whether it comes by mfa's event or by the gateway's call.
two_factor_changes = Table(
    "two_factor_changes",
    metadata,
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# The number of users, split over a few rows that add up to it, kept by triggers of migration
# 0008 in the same transaction as every insert and delete of users (store/admin_queries.py).
user_counts = Table(
    "user_counts",
    metadata,
    Column("stripe", SmallInteger, primary_key=True, autoincrement=False),
    Column("users", BigInteger, nullable=False),
)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
