"""Users, credential accounts, outbox and processed events.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from authmesh_kit.db.kit_tables import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("email_verified", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("image", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("two_factor_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("username", sa.Text),
        sa.Column("display_username", sa.Text),
        sa.Column("phone_number", sa.Text),
        sa.Column("phone_number_verified", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("role", sa.Text, nullable=False, server_default="user"),
        sa.Column("banned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("ban_reason", sa.Text),
        sa.Column("ban_expires", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("email", name="users_email_key"),
        sa.UniqueConstraint("username", name="users_username_key"),
        sa.UniqueConstraint("phone_number", name="users_phone_number_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("provider_id", sa.Text, nullable=False),
        sa.Column(
            "user_id",
            sa.Text,
            sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("password", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint("provider_id", "account_id", name="accounts_provider_account"),
        schema=SCHEMA,
    )
    op.create_index("accounts_user_id", "accounts", ["user_id"], schema=SCHEMA)
    create_kit_tables(op, SCHEMA)


def downgrade() -> None:
    drop_kit_tables(op, SCHEMA)
    op.drop_table("accounts", schema=SCHEMA)
    op.drop_table("users", schema=SCHEMA)
