"""Drop processed_events (and its index with it): every risk consumer's handler is idempotent
by itself, so none marks the events it applied any more.

Revision ID: 0004
"""

from alembic import op

from authmesh_kit.db.kit_tables import create_processed_events

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "risk"


def upgrade() -> None:
    op.drop_table("processed_events", schema=SCHEMA)


def downgrade() -> None:
    create_processed_events(op, SCHEMA)
