"""Per-account counts of consecutive failed password checks; indexes for the purge.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

from authmesh_kit.db.kit_tables import PROCESSED_EVENTS_INDEX, create_processed_events_index

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    op.create_table(
        "password_attempts",
        sa.Column("account_key", sa.LargeBinary, primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column(
            "last_failed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "one_time_tokens_consumed_at",
        "one_time_tokens",
        ["consumed_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("consumed_at IS NOT NULL"),
    )
    create_processed_events_index(op, SCHEMA)


def downgrade() -> None:
    op.drop_index(PROCESSED_EVENTS_INDEX, "processed_events", schema=SCHEMA)
    op.drop_index("one_time_tokens_consumed_at", "one_time_tokens", schema=SCHEMA)
    op.drop_table("password_attempts", schema=SCHEMA)
