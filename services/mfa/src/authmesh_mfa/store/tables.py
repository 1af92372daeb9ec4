"""The mfa schema: second factors (TOTP secrets, backup codes, sign-in challenges, mailed
codes, trusted devices), passkeys, and the kit's outbox and processed events. `user_id`
columns name identity users (no foreign key across services); a user's rows go when identity
deletes the user (events/handlers.py).
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    false,
    func,
    text,
)

from authmesh_kit.db.kit_tables import outbox_table, processed_events_table

SCHEMA = "mfa"
metadata = MetaData(schema=SCHEMA)

# Passkeys in Better-Auth's model (api.md §8). `user_id` names an identity user (no foreign
# key across services); its passkeys go when the user is deleted (events/handlers.py).
passkeys = Table(
    "passkeys",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("name", Text),
    Column("credential_id", Text, nullable=False),  # base64url
    Column("public_key", LargeBinary, nullable=False),  # COSE_Key
    Column("counter", BigInteger, nullable=False),  # WebAuthn's signature counter (uint32)
    Column("device_type", Text, nullable=False),
    Column("backed_up", Boolean, nullable=False),
    Column("transports", Text),
    Column("aaguid", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("passkeys_credential_id", "credential_id", unique=True),
    Index("passkeys_user_id", "user_id"),
)

# The challenge of each passkey ceremony under way (domain/passkeys.py), under the SHA-256 of
# the id its signed cookie carries; taking one deletes it.
passkey_challenges = Table(
    "passkey_challenges",
    metadata,
    Column("id_hash", LargeBinary, primary_key=True),
    Column("ceremony", Text, nullable=False),
    Column("challenge", LargeBinary, nullable=False),
    Column("user_id", Text),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("passkey_challenges_expires_at", "expires_at"),  # the purge of abandoned ones
)

# Second factors (Better-Auth's twoFactor plugin). One row per user that ever enrolled: the
# TOTP secret sealed with the key ring (domain/totp.py), the methods turned on, the newest TOTP
# step a sign-in accepted (replay protection), the backup codes' salt, and the consecutive
# failures with the lock they started (domain/use_cases/two_factor_verify.py).
two_factors = Table(
    "two_factors",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("totp_key_id", Text),
    Column("totp_nonce", LargeBinary),
    Column("totp_ciphertext", LargeBinary),
    Column("totp_issuer", Text),
    Column("totp_verified", Boolean, nullable=False, server_default=false()),
    Column("otp_enabled", Boolean, nullable=False, server_default=false()),
    Column("last_totp_step", BigInteger),
    Column("backup_code_salt", LargeBinary),
    Column("failed_count", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Backup codes by their salted hash (domain/backup_codes.py); a used one keeps its row.
backup_codes = Table(
    "backup_codes",
    metadata,
    Column("user_id", Text, nullable=False),
    Column("code_hash", LargeBinary, nullable=False),
    Column("used_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("user_id", "code_hash", name="backup_codes_pkey"),
)

# Sign-in challenges under the SHA-256 of the id the `two_factor` cookie carries
# (domain/two_factor_challenges.py), with the tries made against them.
two_factor_challenges = Table(
    "two_factor_challenges",
    metadata,
    Column("id_hash", LargeBinary, primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("dont_remember", Boolean, nullable=False),
    Column("first_factor", Text, nullable=False),
    # Asked for by the risk service: answered by a mailed code even without factors.
    Column("risk_otp", Boolean, nullable=False, server_default=text("false")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("consumed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("two_factor_challenges_user_id", "user_id"),
    Index("two_factor_challenges_expires_at", "expires_at"),  # the purge
)

# The one live mailed code of each scope (a challenge or a session), hashed with its scope.
two_factor_otps = Table(
    "two_factor_otps",
    metadata,
    Column("scope", LargeBinary, primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("code_hash", LargeBinary, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("consumed_at", DateTime(timezone=True)),
    Index("two_factor_otps_user_id", "user_id"),
    Index("two_factor_otps_expires_at", "expires_at"),  # the purge
)

# Devices trusted to skip the second factor, under the SHA-256 of id and user
# (domain/trusted_devices.py).
trusted_devices = Table(
    "trusted_devices",
    metadata,
    Column("id_hash", LargeBinary, primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("trusted_devices_user_id", "user_id"),
    Index("trusted_devices_expires_at", "expires_at"),  # the purge
)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
