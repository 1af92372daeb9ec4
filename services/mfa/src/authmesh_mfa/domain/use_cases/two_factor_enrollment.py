"""Turning second factors on and off for a signed-in user (api.md §9.2 enable, disable,
get-totp-uri, generate-backup-codes). The gateway has checked the password; it rotates the
session and tells identity (`twoFactorEnabled`) after a change, which the enrolled and disabled
events also guarantee (DESIGN §2).

Better-Auth's semantics: a TOTP secret awaits its first verification (two_factor_verify.py)
before it counts; enabling mailed codes counts at once.
"""

import asyncio

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.events.envelope import Actor
from authmesh_mfa.domain import backup_codes, events, totp
from authmesh_mfa.domain.errors import (
    totp_already_enabled,
    totp_not_enabled,
    two_factor_not_enabled,
)
from authmesh_mfa.domain.model import FactorChange, Method, TwoFactorPolicy
from authmesh_mfa.domain.ports import TwoFactorUnitOfWork


async def hash_backup_codes(codes: list[str], salt: bytes, policy: TwoFactorPolicy) -> list[bytes]:
    """PBKDF2 is CPU-bound: off the event loop."""
    iterations = policy.backup_code_iterations
    return await asyncio.to_thread(
        lambda: [backup_codes.code_hash(code, salt, iterations) for code in codes]
    )


async def enroll_totp(
    uow: TwoFactorUnitOfWork,
    key_ring: KeyRing,
    policy: TwoFactorPolicy,
    *,
    user_id: str,
    account_name: str,
    issuer: str | None,
    actor: Actor | None,
) -> tuple[str, list[str]]:
    """A new secret awaiting verification, and 10 new backup codes: the otpauth URI and the
    codes. TOTP_ALREADY_ENABLED once a secret is verified."""
    secret = totp.new_secret()
    codes = backup_codes.new_codes()
    salt = backup_codes.new_salt()
    hashes = await hash_backup_codes(codes, salt, policy)
    label_issuer = issuer or policy.totp_issuer
    async with uow.begin() as tx:
        factors = await tx.lock_or_create_factors(user_id)
        if factors.totp_verified:
            raise totp_already_enabled()
        sealed = key_ring.seal(secret.encode(), totp.secret_context(user_id))
        await tx.set_totp(user_id, sealed, label_issuer)
        await tx.replace_backup_codes(user_id, salt, hashes)
        await tx.add_events(events.backup_codes_generated(user_id, len(codes), actor))
    uri = totp.totp_uri(secret, issuer=label_issuer, account_name=account_name)
    return uri, codes


async def enable_otp(
    uow: TwoFactorUnitOfWork, *, user_id: str, actor: Actor | None
) -> FactorChange:
    async with uow.begin() as tx:
        await tx.lock_or_create_factors(user_id)
        await tx.enable_otp(user_id)
        changed_at = await tx.now()
        await tx.add_events(events.enrolled(user_id, Method.OTP.value, changed_at, actor))
    return FactorChange(enabled=True, changed_at=changed_at)


async def disable_two_factor(
    uow: TwoFactorUnitOfWork, *, user_id: str, actor: Actor | None
) -> FactorChange:
    """Deletes every second factor of the user, its trusted devices included."""
    async with uow.begin() as tx:
        await tx.lock_factors(user_id)
        await tx.delete_two_factor(user_id)
        changed_at = await tx.now()
        await tx.add_events(events.disabled(user_id, changed_at, actor))
    return FactorChange(enabled=False, changed_at=changed_at)


async def get_totp_uri(
    uow: TwoFactorUnitOfWork,
    key_ring: KeyRing,
    policy: TwoFactorPolicy,
    *,
    user_id: str,
    account_name: str,
) -> tuple[str, bool]:
    """The URI of the user's secret and whether it is verified; TOTP_NOT_ENABLED without one."""
    async with uow.begin() as tx:
        factors = await tx.peek_factors(user_id)
    if factors is None or factors.totp_secret is None:
        raise totp_not_enabled()
    secret = key_ring.open(factors.totp_secret, totp.secret_context(user_id)).decode()
    issuer = factors.totp_issuer or policy.totp_issuer
    return totp.totp_uri(secret, issuer=issuer, account_name=account_name), factors.totp_verified


async def generate_backup_codes(
    uow: TwoFactorUnitOfWork, policy: TwoFactorPolicy, *, user_id: str, actor: Actor | None
) -> list[str]:
    """10 new codes replacing the old; TWO_FACTOR_NOT_ENABLED unless a factor is on."""
    codes = backup_codes.new_codes()
    salt = backup_codes.new_salt()
    hashes = await hash_backup_codes(codes, salt, policy)
    async with uow.begin() as tx:
        factors = await tx.lock_factors(user_id)
        if factors is None or not factors.enabled:
            raise two_factor_not_enabled()
        await tx.replace_backup_codes(user_id, salt, hashes)
        await tx.add_events(events.backup_codes_generated(user_id, len(codes), actor))
    return codes
