"""Drops processed_events: the consumer keeps no processed-event marks, as an append skips the
event ids the chain holds already (entries are keyed by event id). Drops the outbox too: audit
publishes no events.

Revision ID: 0004
"""

from alembic import op

from authmesh_kit.db.kit_tables import create_outbox, create_processed_events

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "audit"


def upgrade() -> None:
    op.drop_table("processed_events", schema=SCHEMA)
    op.drop_table("outbox", schema=SCHEMA)


def downgrade() -> None:
    create_outbox(op, SCHEMA)
    create_processed_events(op, SCHEMA)
