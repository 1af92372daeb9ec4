"""Short one-time codes (email and SMS OTPs) with attempt and failure counters; link tokens
without a user yet (a magic link to a new address).

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    op.create_table(
        "one_time_codes",
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("identifier", sa.Text, nullable=False),
        sa.Column("code_hash", sa.LargeBinary, nullable=False),
        sa.Column("user_id", sa.Text, sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE")),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("failures", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("purpose", "identifier", name="one_time_codes_pkey"),
        schema=SCHEMA,
    )
    op.create_index("one_time_codes_expires_at", "one_time_codes", ["expires_at"], schema=SCHEMA)
    op.alter_column("one_time_tokens", "user_id", nullable=True, schema=SCHEMA)


def downgrade() -> None:
    op.execute("DELETE FROM identity.one_time_tokens WHERE user_id IS NULL")
    op.alter_column("one_time_tokens", "user_id", nullable=False, schema=SCHEMA)
    op.drop_table("one_time_codes", schema=SCHEMA)
