"""The JWT signing keys: Ed25519 key pairs, the private key sealed with the key ring.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "session"


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("alg", sa.Text, nullable=False),
        sa.Column("crv", sa.Text, nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("private_key_ring_id", sa.Text, nullable=False),
        sa.Column("private_key_nonce", sa.LargeBinary, nullable=False),
        sa.Column("private_key_ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("signing_keys_expires_at", "signing_keys", ["expires_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("signing_keys", schema=SCHEMA)
