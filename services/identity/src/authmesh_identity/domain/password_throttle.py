"""Per-account throttling of password checks (NIST SP 800-63B §3.2.2: no more than 100
consecutive failed attempts on one account).

Every password check — sign-in by email, username or phone number, verify-password, change-
password — is counted against an account key before the hash is checked:
- the key is the account's when the login names one, else the login name as typed (normalized,
  with its kind), so an unknown address is throttled exactly like a real one (no enumeration);
- the attempt is counted as a failure *before* verifying, by one atomic upsert that also decides
  whether it may go on: of 50 concurrent wrong guesses, each is counted, and none is verified
  once the lock has started; a match then clears the count (NIST: success resets it);
- from `lock_after` consecutive failures on, each failure locks the key for `lock_for`
  (Better-Auth's own two-factor lockout: 10 failures, 15 minutes), so past the first few typos a
  guesser gets one try per lock period; a locked check is refused without hashing;
- at `disable_after` (at most 100) the password is refused until a password reset, which
  clears the count: the "disabled until re-bound" of NIST. With the defaults that takes an
  attacker 10 + 90 x 15 min, about 23 hours of patient guessing; the user then resets by email (or
  signs in by email OTP or magic link, which this throttle does not touch).
"""

import hashlib
import math
from datetime import UTC, datetime

from authmesh_identity.domain.errors import account_temporarily_locked, password_attempts_exhausted
from authmesh_identity.domain.passwords import AttemptCount, PasswordHasher, ThrottlePolicy
from authmesh_identity.domain.ports import UnitOfWork
from authmesh_kit.errors import DomainError


def account_attempts_key(*, user_id: str | None, login: str = "") -> bytes:
    """The account's key when it exists, else the login's (`"email:a@b.example"`, normalized).
    Hashed: unknown addresses someone tried are not kept in clear."""
    name = f"user:{user_id}" if user_id else f"login:{login}"
    return hashlib.sha256(name.encode()).digest()


def refusal(throttle: ThrottlePolicy, count: AttemptCount, now: datetime) -> DomainError:
    """The error for a key that refused an attempt."""
    if count.failures >= throttle.disable_after or count.locked_until is None:
        return password_attempts_exhausted()
    return account_temporarily_locked(max(1, math.ceil((count.locked_until - now).total_seconds())))


async def verify_throttled(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    throttle: ThrottlePolicy,
    *,
    key: bytes,
    password_hash: str | None,
    password: str,
) -> bool:
    """True when `password` matches `password_hash` (None: an unknown account, same time);
    ACCOUNT_TEMPORARILY_LOCKED or TOO_MANY_ATTEMPTS_RESET_PASSWORD, unverified, when the key
    is locked."""
    async with uow.begin() as tx:
        count = await tx.count_password_attempt(key, throttle)
    if not count.allowed:
        raise refusal(throttle, count, datetime.now(UTC))
    matched = await hasher.verify(password_hash, password)
    if matched:
        async with uow.begin() as tx:
            await tx.clear_password_attempts(key)
    return matched
