"""Second factors: TOTP secrets and factor state, backup codes, sign-in challenges, mailed
codes and trusted devices.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "mfa"


def _timestamp(name: str, *, nullable: bool = True, now: bool = False) -> sa.Column[object]:
    default = sa.func.now() if now else None
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def upgrade() -> None:
    op.create_table(
        "two_factors",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("totp_key_id", sa.Text),
        sa.Column("totp_nonce", sa.LargeBinary),
        sa.Column("totp_ciphertext", sa.LargeBinary),
        sa.Column("totp_issuer", sa.Text),
        sa.Column("totp_verified", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("otp_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_totp_step", sa.BigInteger),
        sa.Column("backup_code_salt", sa.LargeBinary),
        sa.Column("failed_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        _timestamp("locked_until"),
        _timestamp("created_at", nullable=False, now=True),
        _timestamp("updated_at", nullable=False, now=True),
        schema=SCHEMA,
    )
    op.create_table(
        "backup_codes",
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("code_hash", sa.LargeBinary, nullable=False),
        _timestamp("used_at"),
        sa.PrimaryKeyConstraint("user_id", "code_hash", name="backup_codes_pkey"),
        schema=SCHEMA,
    )
    op.create_table(
        "two_factor_challenges",
        sa.Column("id_hash", sa.LargeBinary, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("dont_remember", sa.Boolean, nullable=False),
        sa.Column("first_factor", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        _timestamp("expires_at", nullable=False),
        _timestamp("consumed_at"),
        _timestamp("created_at", nullable=False, now=True),
        schema=SCHEMA,
    )
    op.create_table(
        "two_factor_otps",
        sa.Column("scope", sa.LargeBinary, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("code_hash", sa.LargeBinary, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        _timestamp("expires_at", nullable=False),
        _timestamp("consumed_at"),
        schema=SCHEMA,
    )
    op.create_table(
        "trusted_devices",
        sa.Column("id_hash", sa.LargeBinary, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        _timestamp("expires_at", nullable=False),
        _timestamp("created_at", nullable=False, now=True),
        schema=SCHEMA,
    )
    for table in ("two_factor_challenges", "two_factor_otps", "trusted_devices"):
        op.create_index(f"{table}_user_id", table, ["user_id"], schema=SCHEMA)
        op.create_index(f"{table}_expires_at", table, ["expires_at"], schema=SCHEMA)


def downgrade() -> None:
    for table in (
        "trusted_devices",
        "two_factor_otps",
        "two_factor_challenges",
        "backup_codes",
        "two_factors",
    ):
        op.drop_table(table, schema=SCHEMA)
