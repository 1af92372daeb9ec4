"""An index on processed_events.processed_at, for the purge of old processed-event ids.

Revision ID: 0002
"""

from alembic import op

from authmesh_kit.db.kit_tables import PROCESSED_EVENTS_INDEX, create_processed_events_index

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "mfa"


def upgrade() -> None:
    create_processed_events_index(op, SCHEMA)


def downgrade() -> None:
    op.drop_index(PROCESSED_EVENTS_INDEX, "processed_events", schema=SCHEMA)
