"""Sessions keyed by token hash, outbox and processed events.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from authmesh_kit.db.kit_tables import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "session"


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.LargeBinary, primary_key=True),
        sa.Column("id", sa.Text, nullable=False, unique=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip_address", sa.Text, nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
        sa.Column("dont_remember", sa.Boolean, nullable=False),
        sa.Column("active_organization_id", sa.Text),
        sa.Column("active_team_id", sa.Text),
        sa.Column("impersonated_by", sa.Text),
        schema=SCHEMA,
    )
    op.create_index("sessions_user_id", "sessions", ["user_id"], schema=SCHEMA)
    op.create_index("sessions_expires_at", "sessions", ["expires_at"], schema=SCHEMA)
    create_kit_tables(op, SCHEMA)


def downgrade() -> None:
    drop_kit_tables(op, SCHEMA)
    op.drop_table("sessions", schema=SCHEMA)
