"""Password-attempt counts per account and client address: progressive delays for the address
that guesses, instead of a lock of the whole account (domain/password_throttle.py).

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    op.create_table(
        "password_pair_attempts",
        sa.Column("account_key", sa.LargeBinary, primary_key=True),
        sa.Column("ip", sa.Text, primary_key=True),
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
        "password_pair_attempts_last_failed_at",
        "password_pair_attempts",
        ["last_failed_at"],
        schema=SCHEMA,
    )
    # Account-wide counts no longer lock for a while: only the cap refuses, for good.
    op.execute("UPDATE identity.password_attempts SET locked_until = NULL")


def downgrade() -> None:
    op.drop_table("password_pair_attempts", schema=SCHEMA)
