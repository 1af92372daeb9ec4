"""Outbox and processed events: the schema and its version table exist from the start.

Revision ID: 0001
"""

from typing import cast

from alembic import op
from alembic.operations import Operations

from authmesh_kit.events.consumer import create_processed_events_table
from authmesh_kit.events.outbox import create_outbox_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "org"


def upgrade() -> None:
    # alembic's `op` is a module that proxies the running Operations; the kit takes the latter.
    operations = cast(Operations, op)
    create_outbox_table(operations, SCHEMA)
    create_processed_events_table(operations, SCHEMA)


def downgrade() -> None:
    op.drop_table("processed_events", schema=SCHEMA)
    op.drop_table("outbox", schema=SCHEMA)
