"""Sign-in challenges the risk service asked for: a mailed code answers them, factors or not.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = "mfa"


def upgrade() -> None:
    op.add_column(
        "two_factor_challenges",
        sa.Column("risk_otp", sa.Boolean, nullable=False, server_default=sa.text("false")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("two_factor_challenges", "risk_otp", schema=SCHEMA)
