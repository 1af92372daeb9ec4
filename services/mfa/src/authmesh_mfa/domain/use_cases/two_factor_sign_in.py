"""The second step of a sign-in: the challenge a user with second factors gets instead of a
session, the trusted device that skips it, and the codes mailed to answer it (or, in a
signed-in session, to turn mailed codes on). Verification is two_factor_verify.py.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from authmesh_kit.events.envelope import Actor
from authmesh_mfa.domain import events, messages, trusted_devices, two_factor_challenges
from authmesh_mfa.domain.errors import (
    invalid_challenge,
    otp_not_enabled,
    trusted_device_not_found,
    two_factor_not_enabled,
)
from authmesh_mfa.domain.model import (
    IssuedTrustedDevice,
    Method,
    NewChallenge,
    TwoFactorPolicy,
)
from authmesh_mfa.domain.ports import TwoFactorTransaction, TwoFactorUnitOfWork


@dataclass(frozen=True)
class StartedChallenge:
    challenge_id: str
    methods: list[str]
    expires_at: datetime


@dataclass(frozen=True)
class SessionOtpScope:
    """A signed-in user asking for a code: to check it, or to turn mailed codes on."""

    user_id: str
    session_id: str
    email: str


async def start_challenge(
    uow: TwoFactorUnitOfWork,
    policy: TwoFactorPolicy,
    *,
    user_id: str,
    email: str,
    dont_remember: bool,
    first_factor: str,
    risk_challenge: bool = False,
) -> StartedChallenge:
    """TWO_FACTOR_NOT_ENABLED when the user has no factor on (identity's flag was stale),
    unless the risk service asked for a second factor: such a user is challenged with a code
    mailed to `email`, the one method offered."""
    challenge_id = two_factor_challenges.new_challenge_id()
    expires_at = datetime.now(UTC) + policy.challenge_lifetime
    async with uow.begin() as tx:
        factors = await tx.peek_factors(user_id)
        risk_otp = risk_challenge and (factors is None or not factors.enabled)
        if not risk_otp and (factors is None or not factors.enabled):
            raise two_factor_not_enabled()
        await tx.insert_challenge(
            NewChallenge(
                id_hash=two_factor_challenges.challenge_hash(challenge_id),
                user_id=user_id,
                email=email,
                dont_remember=dont_remember,
                first_factor=first_factor,
                expires_at=expires_at,
                risk_otp=risk_otp,
            )
        )
    methods = [Method.OTP.value] if risk_otp or factors is None else factors.methods()
    return StartedChallenge(challenge_id, methods, expires_at)


async def issue_trusted_device(
    tx: TwoFactorTransaction, policy: TwoFactorPolicy, user_id: str
) -> IssuedTrustedDevice:
    device_id = trusted_devices.new_device_id()
    expires_at = datetime.now(UTC) + policy.trusted_device_lifetime
    await tx.insert_trusted_device(
        trusted_devices.device_hash(user_id, device_id), user_id, expires_at
    )
    return IssuedTrustedDevice(device_id, expires_at)


async def rotate_trusted_device(
    uow: TwoFactorUnitOfWork,
    policy: TwoFactorPolicy,
    *,
    user_id: str,
    device_id: str,
    actor: Actor | None,
) -> IssuedTrustedDevice:
    """Consumes the device and issues its successor, for a user whose factors are on;
    TRUSTED_DEVICE_NOT_FOUND otherwise (the caller then challenges)."""
    if not trusted_devices.is_well_formed(device_id):
        raise trusted_device_not_found()
    async with uow.begin() as tx:
        # The factors row is locked first, as by a revocation: a rotation and a revocation
        # run one after the other, so a successor never outlives a revocation.
        factors = await tx.lock_factors(user_id)
        taken = await tx.take_trusted_device(
            trusted_devices.device_hash(user_id, device_id), user_id
        )
        if not taken or factors is None or not factors.enabled:
            raise trusted_device_not_found()
        successor = await issue_trusted_device(tx, policy, user_id)
        await tx.add_events(
            events.verified(
                user_id, Method.TRUSTED_DEVICE.value, sign_in=True, device_trusted=True, actor=actor
            )
        )
    return successor


async def send_challenge_otp(
    uow: TwoFactorUnitOfWork, policy: TwoFactorPolicy, *, challenge_id: str
) -> None:
    """Mails a code for a live challenge of a user with mailed codes on."""
    if not two_factor_challenges.is_well_formed(challenge_id):
        raise invalid_challenge()
    async with uow.begin() as tx:
        challenge = await tx.live_challenge(two_factor_challenges.challenge_hash(challenge_id))
        if challenge is None:
            raise invalid_challenge()
        factors = await tx.peek_factors(challenge.user_id)
        if not challenge.risk_otp and (factors is None or not factors.otp_enabled):
            raise otp_not_enabled()
        await _mail_code(
            tx,
            policy,
            scope=two_factor_challenges.challenge_scope(challenge_id),
            user_id=challenge.user_id,
            email=challenge.email,
        )


async def send_session_otp(
    uow: TwoFactorUnitOfWork, policy: TwoFactorPolicy, *, scope: SessionOtpScope
) -> None:
    """Mails a code to a signed-in user, whatever their factors (Better-Auth: verifying it
    turns mailed codes on when two-factor is off)."""
    async with uow.begin() as tx:
        await _mail_code(
            tx,
            policy,
            scope=two_factor_challenges.session_scope(scope.session_id),
            user_id=scope.user_id,
            email=scope.email,
        )


async def _mail_code(
    tx: TwoFactorTransaction, policy: TwoFactorPolicy, *, scope: bytes, user_id: str, email: str
) -> None:
    code = two_factor_challenges.new_otp()
    expires_at = datetime.now(UTC) + policy.otp_lifetime
    await tx.put_otp(scope, user_id, two_factor_challenges.otp_hash(scope, code), expires_at)
    await tx.add_messages(
        messages.two_factor_otp(to=email, user_id=user_id, otp=code, expires_at=expires_at)
    )
