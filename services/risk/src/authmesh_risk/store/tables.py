"""The risk schema: each user's assessed sign-ins (the history admins read), the devices and
countries the user completed sign-ins from, and the last sign-in's place (impossible travel).
Failure and velocity counters live in Redis (store/counters.py), not here.
"""

from sqlalchemy import (
    Column,
    DateTime,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from authmesh_kit.db.kit_tables import outbox_table

SCHEMA = "risk"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)

assessments = Table(
    "assessments",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("ip", Text, nullable=False),  # as received (unparseable ones too), at most 64 chars
    Column("country", Text, nullable=False),
    Column("user_agent", Text, nullable=False),
    Column("device", Text, nullable=False),  # the user agent family
    Column("method", Text, nullable=False),
    Column("score", Integer, nullable=False),
    Column("decision", Text, nullable=False),
    Column("factors", JSONB, nullable=False),  # [{"name", "points", "detail"}]
)
Index("assessments_user_time", assessments.c.user_id, assessments.c.occurred_at, assessments.c.id)
Index("assessments_occurred_at", assessments.c.occurred_at)  # the purge

known_devices = Table(
    "known_devices",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("device_hash", LargeBinary, primary_key=True),
    Column("family", Text, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

known_countries = Table(
    "known_countries",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("country", Text, primary_key=True),
    Column("first_seen", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The place of the user's newest completed sign-in (only public, located addresses).
last_sign_ins = Table(
    "last_sign_ins",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("country", Text, nullable=False),
    Column("latitude", Double),
    Column("longitude", Double),
)
