"""Passkeys and the challenges of passkey ceremonies under way.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "mfa"


def upgrade() -> None:
    op.create_table(
        "passkeys",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("credential_id", sa.Text, nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("counter", sa.BigInteger, nullable=False),
        sa.Column("device_type", sa.Text, nullable=False),
        sa.Column("backed_up", sa.Boolean, nullable=False),
        sa.Column("transports", sa.Text),
        sa.Column("aaguid", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "passkeys_credential_id", "passkeys", ["credential_id"], unique=True, schema=SCHEMA
    )
    op.create_index("passkeys_user_id", "passkeys", ["user_id"], schema=SCHEMA)
    op.create_table(
        "passkey_challenges",
        sa.Column("id_hash", sa.LargeBinary, primary_key=True),
        sa.Column("ceremony", sa.Text, nullable=False),
        sa.Column("challenge", sa.LargeBinary, nullable=False),
        sa.Column("user_id", sa.Text),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "passkey_challenges_expires_at", "passkey_challenges", ["expires_at"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_table("passkey_challenges", schema=SCHEMA)
    op.drop_table("passkeys", schema=SCHEMA)
