"""Outbox and processed events: the schema and its version table exist from the start.

Revision ID: 0001
"""

from alembic import op

from authmesh_kit.db.kit_tables import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "risk"


def upgrade() -> None:
    create_kit_tables(op, SCHEMA)


def downgrade() -> None:
    drop_kit_tables(op, SCHEMA)
