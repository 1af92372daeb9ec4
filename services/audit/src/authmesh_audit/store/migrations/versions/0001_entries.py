"""Audit entries and the kit tables.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from authmesh_kit.db.kit_tables import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "audit"


def upgrade() -> None:
    op.create_table(
        "entries",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("producer", sa.Text, nullable=False),
        sa.Column("actor_kind", sa.Text, nullable=False),
        sa.Column("actor_user_id", sa.Text, nullable=False),
        sa.Column("ip", sa.Text, nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("organization_id", sa.Text, nullable=False),
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("traceparent", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("entries_user_id_event_id", "entries", ["user_id", "event_id"], schema=SCHEMA)
    create_kit_tables(op, SCHEMA)


def downgrade() -> None:
    drop_kit_tables(op, SCHEMA)
    op.drop_table("entries", schema=SCHEMA)
