"""Assessed sign-ins, known devices and countries, and the last sign-in's place.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "risk"


def _seen() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "first_seen", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "last_seen", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.Text, nullable=False),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
        sa.Column("device", sa.Text, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("factors", JSONB, nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "assessments_user_time",
        "assessments",
        ["user_id", "occurred_at", "id"],
        schema=SCHEMA,
    )
    op.create_index("assessments_occurred_at", "assessments", ["occurred_at"], schema=SCHEMA)
    op.create_table(
        "known_devices",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("device_hash", sa.LargeBinary, primary_key=True),
        sa.Column("family", sa.Text, nullable=False),
        *_seen(),
        schema=SCHEMA,
    )
    op.create_table(
        "known_countries",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("country", sa.Text, primary_key=True),
        *_seen(),
        schema=SCHEMA,
    )
    op.create_table(
        "last_sign_ins",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("latitude", sa.Double),
        sa.Column("longitude", sa.Double),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("last_sign_ins", "known_countries", "known_devices", "assessments"):
        op.drop_table(table, schema=SCHEMA)
