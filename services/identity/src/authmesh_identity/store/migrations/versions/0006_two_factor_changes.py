"""When the user's `two_factor_enabled` last changed, as mfa timed the change: the sync call
and the event that both carry a change apply it only when it is newer.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    op.create_table(
        "two_factor_changes",
        sa.Column(
            "user_id",
            sa.Text,
            sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("two_factor_changes", schema=SCHEMA)
