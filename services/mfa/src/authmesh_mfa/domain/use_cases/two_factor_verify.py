"""Checking a second factor (api.md §9.2 verify-totp, verify-otp, verify-backup-code), in a
sign-in challenge or in a signed-in session.

Stricter than Better-Auth, within its answers:
- Each verification of a user runs alone (the factors row is locked), so the lockout counts
  every failure: 10 consecutive failures, in any scope, with any factor, lock every factor for
  15 minutes, and while locked even the right code is refused, whatever first factor led to the
  challenge. A failure after a lock has expired locks again at once (as identity's password
  throttle does); only a success clears the count.
- A TOTP step passes a sign-in once: the step a sign-in accepted, and every earlier one, is
  refused afterwards (a replayed code counts as a failure). The verification that confirms an
  enrollment does not use its step up, since Better-Auth clients confirm and then sign in with
  the same code.
- Every try at a challenge counts, whatever the factor; past its attempts it is used up.
- One-time codes are consumed atomically: of concurrent uses of one backup code exactly one
  succeeds; the others get BACKUP_CODE_RACE when they saw it live (Better-Auth's 409), or
  INVALID_BACKUP_CODE when they came after.
Locks are taken in one order everywhere (factors, then challenge, then mailed code).
"""

import time
from dataclasses import dataclass
from datetime import datetime

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Actor
from authmesh_mfa.domain import backup_codes, events, totp, two_factor_challenges
from authmesh_mfa.domain.errors import (
    account_locked,
    backup_code_race,
    backup_codes_not_enabled,
    invalid_backup_code,
    invalid_challenge,
    invalid_code,
    otp_expired,
    too_many_attempts,
    totp_not_enabled,
)
from authmesh_mfa.domain.model import (
    Challenge,
    FactorChange,
    Factors,
    IssuedTrustedDevice,
    Method,
    TwoFactorPolicy,
)
from authmesh_mfa.domain.ports import (
    BackupCodeState,
    CodeOutcome,
    TwoFactorTransaction,
    TwoFactorUnitOfWork,
)
from authmesh_mfa.domain.use_cases.two_factor_enrollment import hash_backup_codes
from authmesh_mfa.domain.use_cases.two_factor_sign_in import issue_trusted_device


@dataclass(frozen=True)
class ChallengeScope:
    challenge_id: str


@dataclass(frozen=True)
class SessionScope:
    user_id: str
    session_id: str


Scope = ChallengeScope | SessionScope


@dataclass(frozen=True)
class Attempt:
    factor: Method  # TOTP, OTP or BACKUP_CODE
    code: str
    trust_device: bool = False  # challenges only


@dataclass(frozen=True)
class Verified:
    user_id: str
    dont_remember: bool
    trusted_device: IssuedTrustedDevice | None
    enabled: FactorChange | None  # set when this verification turned two-factor on


@dataclass(frozen=True)
class _Check:
    """What checking the code found: a pass (with the TOTP step it matched), a failure that
    counts toward the lockout, or an answer that does not (a dead mailed code, a lost race)."""

    passed: bool
    step: int | None = None
    error: DomainError | None = None
    counted: bool = False
    reason: str = ""  # of a counted failure, for the event


def _counted(error: DomainError, reason: str) -> _Check:
    return _Check(passed=False, error=error, counted=True, reason=reason)


def _uncounted(error: DomainError) -> _Check:
    return _Check(passed=False, error=error)


async def verify(
    uow: TwoFactorUnitOfWork,
    key_ring: KeyRing,
    policy: TwoFactorPolicy,
    *,
    scope: Scope,
    attempt: Attempt,
    actor: Actor | None,
) -> Verified:
    """The verification's result; its error otherwise, raised after the transaction that
    counted it committed."""
    if isinstance(scope, ChallengeScope) and not two_factor_challenges.is_well_formed(
        scope.challenge_id
    ):
        raise invalid_challenge()
    typed_backup_hash = None
    if attempt.factor is Method.BACKUP_CODE:
        typed_backup_hash = await _typed_backup_code_hash(uow, policy, scope, attempt.code)
    async with uow.begin() as tx:
        outcome = await _verify(tx, key_ring, policy, scope, attempt, typed_backup_hash, actor)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


async def _user_of(tx: TwoFactorTransaction, scope: Scope) -> tuple[str, bool]:
    """The scope's user, and its challenge's `dont_remember`; INVALID_TWO_FACTOR_COOKIE without
    a live challenge. Read without a lock: the factors row is locked first."""
    if isinstance(scope, SessionScope):
        return scope.user_id, False
    challenge = await tx.live_challenge(two_factor_challenges.challenge_hash(scope.challenge_id))
    if challenge is None:
        raise invalid_challenge()
    return challenge.user_id, challenge.dont_remember


async def _typed_backup_code_hash(
    uow: TwoFactorUnitOfWork, policy: TwoFactorPolicy, scope: Scope, code: str
) -> bytes | None:
    """The typed code hashed with the user's salt, before the transaction that decides, so that
    no lock is held while PBKDF2 runs; None when it cannot match (no codes, too long)."""
    async with uow.begin() as tx:
        user_id, _ = await _user_of(tx, scope)
        factors = await tx.peek_factors(user_id)
    if factors is None or factors.backup_code_salt is None:
        return None
    if len(code) > backup_codes.MAX_CODE_LENGTH:
        return None
    return (await hash_backup_codes([code], factors.backup_code_salt, policy))[0]


async def _verify(
    tx: TwoFactorTransaction,
    key_ring: KeyRing,
    policy: TwoFactorPolicy,
    scope: Scope,
    attempt: Attempt,
    typed_backup_hash: bytes | None,
    actor: Actor | None,
) -> Verified | DomainError:
    """Errors raised here roll the transaction back (nothing is counted); errors returned are
    raised once it committed."""
    user_id, dont_remember = await _user_of(tx, scope)
    backup_state = BackupCodeState.UNKNOWN
    if typed_backup_hash is not None:
        # Looked up before the lock: a use that saw the code live and then lost the race answers
        # BACKUP_CODE_RACE, one that came after INVALID_BACKUP_CODE.
        backup_state = await tx.backup_code_state(user_id, typed_backup_hash)
    factors = await tx.lock_factors(user_id)
    now = await tx.now()
    if factors is not None and factors.locked_until is not None and factors.locked(now):
        raise account_locked(factors.locked_until, now)
    challenge: Challenge | None = None
    if isinstance(scope, ChallengeScope):
        challenge_hash = two_factor_challenges.challenge_hash(scope.challenge_id)
        challenge = await tx.count_challenge_attempt(challenge_hash)
        if challenge is None:
            raise invalid_challenge()
        if challenge.attempts > policy.challenge_attempts:
            await tx.consume_challenge(challenge_hash)
            return too_many_attempts()
    check = await _check(
        tx, key_ring, policy, scope, attempt, user_id, factors, typed_backup_hash, backup_state
    )
    if not check.passed:
        if check.counted:
            await _count_failure(tx, policy, user_id, factors, attempt, check, now, actor)
        assert check.error is not None
        return check.error
    return await _pass(
        tx, key_ring, policy, scope, attempt, user_id, factors, check, dont_remember, actor
    )


async def _check(
    tx: TwoFactorTransaction,
    key_ring: KeyRing,
    policy: TwoFactorPolicy,
    scope: Scope,
    attempt: Attempt,
    user_id: str,
    factors: Factors | None,
    typed_backup_hash: bytes | None,
    backup_state: BackupCodeState,
) -> _Check:
    signing_in = isinstance(scope, ChallengeScope)
    if attempt.factor is Method.TOTP:
        if factors is None or factors.totp_secret is None:
            raise totp_not_enabled()
        if signing_in and not factors.totp_verified:
            raise totp_not_enabled()
        secret = key_ring.open(factors.totp_secret, totp.secret_context(user_id)).decode()
        step = totp.matching_step(secret, attempt.code, time.time())
        if step is None:
            return _counted(invalid_code(), "INVALID_CODE")
        last = factors.last_totp_step
        if signing_in and last is not None and step <= last:
            return _counted(invalid_code(), "TOTP_REPLAYED")
        return _Check(passed=True, step=step)
    if attempt.factor is Method.OTP:
        otp_scope = _otp_scope(scope)
        code_hash = two_factor_challenges.otp_hash(otp_scope, attempt.code)
        outcome = await tx.use_otp(otp_scope, code_hash, policy.otp_attempts)
        if outcome is CodeOutcome.VALID:
            return _Check(passed=True)
        if outcome is CodeOutcome.INVALID:
            return _counted(invalid_code(), "INVALID_CODE")
        if outcome is CodeOutcome.NOT_FOUND:
            return _uncounted(otp_expired())
        return _uncounted(too_many_attempts())
    if factors is None or factors.backup_code_salt is None:
        raise backup_codes_not_enabled()
    if backup_state is not BackupCodeState.LIVE or typed_backup_hash is None:
        return _counted(invalid_backup_code(), "INVALID_BACKUP_CODE")
    if not await tx.use_backup_code(user_id, typed_backup_hash):
        return _uncounted(backup_code_race())
    return _Check(passed=True)


def _otp_scope(scope: Scope) -> bytes:
    if isinstance(scope, ChallengeScope):
        return two_factor_challenges.challenge_scope(scope.challenge_id)
    return two_factor_challenges.session_scope(scope.session_id)


async def _count_failure(
    tx: TwoFactorTransaction,
    policy: TwoFactorPolicy,
    user_id: str,
    factors: Factors | None,
    attempt: Attempt,
    check: _Check,
    now: datetime,
    actor: Actor | None,
) -> None:
    """One more consecutive failure, locking at the threshold. A user with no factors row
    (a session checking a mailed code before any factor is on) has no lockout: the code's own
    tries bound the guessing."""
    failed_count = 0
    if factors is not None:
        count = await tx.record_failure(
            user_id, lock_after=policy.lock_after, lock_until=now + policy.lock_for
        )
        failed_count = count.failed_count
        if count.locked_until is not None and count.failed_count >= policy.lock_after:
            await tx.add_events(events.locked(user_id, count.locked_until, actor))
    await tx.add_events(
        events.failed(user_id, attempt.factor.value, check.reason, failed_count, actor)
    )


async def _pass(
    tx: TwoFactorTransaction,
    key_ring: KeyRing,
    policy: TwoFactorPolicy,
    scope: Scope,
    attempt: Attempt,
    user_id: str,
    factors: Factors | None,
    check: _Check,
    dont_remember: bool,
    actor: Actor | None,
) -> Verified:
    if factors is not None:
        await tx.clear_failures(user_id)
    trusted_device = None
    enabled = None
    if isinstance(scope, ChallengeScope):
        await tx.consume_challenge(two_factor_challenges.challenge_hash(scope.challenge_id))
        if attempt.trust_device:
            trusted_device = await issue_trusted_device(tx, policy, user_id)
        if check.step is not None and factors is not None and factors.totp_secret is not None:
            await tx.set_last_totp_step(user_id, check.step)
            await _reseal(tx, key_ring, user_id, factors)
    else:
        enabled = await _enroll_on_first_success(tx, attempt.factor, user_id, factors, actor)
    await tx.add_events(
        events.verified(
            user_id,
            attempt.factor.value,
            sign_in=isinstance(scope, ChallengeScope),
            device_trusted=trusted_device is not None,
            actor=actor,
        )
    )
    return Verified(user_id, dont_remember, trusted_device, enabled)


async def _reseal(
    tx: TwoFactorTransaction, key_ring: KeyRing, user_id: str, factors: Factors
) -> None:
    """A secret sealed with an older key of the ring is sealed again at its next sign-in."""
    assert factors.totp_secret is not None
    fresh = totp.resealed(key_ring, factors.totp_secret, user_id)
    if fresh is not None:
        await tx.reseal_totp(user_id, fresh)


async def _enroll_on_first_success(
    tx: TwoFactorTransaction,
    factor: Method,
    user_id: str,
    factors: Factors | None,
    actor: Actor | None,
) -> FactorChange | None:
    """In a session, Better-Auth's enrollment: a first right TOTP code verifies the secret, and
    a right mailed code turns mailed codes on when two-factor is off. The change, when
    two-factor was off before."""
    was_enabled = factors is not None and factors.enabled
    if factor is Method.TOTP and factors is not None and not factors.totp_verified:
        await tx.mark_totp_verified(user_id)
    elif factor is Method.OTP and not was_enabled:
        await tx.lock_or_create_factors(user_id)
        await tx.enable_otp(user_id)
    else:
        return None
    changed_at = await tx.now()
    await tx.add_events(events.enrolled(user_id, factor.value, changed_at, actor))
    return None if was_enabled else FactorChange(enabled=True, changed_at=changed_at)
