"""One-time tokens: email verification and password reset links, stored hashed.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    op.create_table(
        "one_time_tokens",
        sa.Column("token_hash", sa.LargeBinary, primary_key=True),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column(
            "user_id",
            sa.Text,
            sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "one_time_tokens_live_by_user",
        "one_time_tokens",
        ["user_id", "purpose"],
        schema=SCHEMA,
        postgresql_where=sa.text("consumed_at IS NULL"),
    )
    op.create_index("one_time_tokens_expires_at", "one_time_tokens", ["expires_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("one_time_tokens", schema=SCHEMA)
