"""Throttling of password checks: progressive delays per account and client address, and an
account-wide limit at NIST SP 800-63B §3.2.2's cap (no more than 100 consecutive failures).

Every password check — sign-in by email, username or phone number, verify-password, change-
password — is counted before the hash is checked, against two keys:
- the account key: the account's when the login names one, else the login name as typed
  (normalized, with its kind), so an unknown address is throttled exactly like a real one (no
  enumeration); it counts consecutive failures from anywhere, and at `disable_after` (at most
  100) the password is refused until a password reset (the mailed link), an admin's unlock
  (AdminService.UnlockPasswordSignIn) or a password set by an admin;
- the account+address pair: from `lock_after` consecutive failures from one client address,
  each failure delays that address's next try on that account (`delay`, doubling up to
  `lock_for`): 429 ACCOUNT_TEMPORARILY_LOCKED with X-Retry-After. Only the address guessing
  waits, so an attacker elsewhere never locks the owner out before the NIST cap (Better-Auth's
  and the previous Authmesh behaviour locked the whole account after 10 failures from anywhere).
  Session-bound checks (verify-password, change-password) share one pair per account.
The counting is atomic (one statement of one conditional upsert per key): of 50 concurrent
wrong guesses each is counted, and none is verified once a delay or the cap has started; a match
clears the account's count and its own pair's (NIST: success resets the count). Password-spray
across accounts from one address is the risk service's (per-address failure velocity → deny).
"""

import hashlib
import math
from datetime import UTC, datetime

from authmesh_identity.domain.admin_permissions import SET_PASSWORD, AdminPolicy
from authmesh_identity.domain.errors import (
    account_temporarily_locked,
    password_attempts_exhausted,
    user_not_found,
)
from authmesh_identity.domain.passwords import AttemptCount, PasswordHasher, ThrottlePolicy
from authmesh_identity.domain.ports import UnitOfWork
from authmesh_kit.errors import DomainError

MAX_ADDRESS = 64


def account_attempts_key(*, user_id: str | None, login: str = "") -> bytes:
    """The account's key when it exists, else the login's (`"email:a@b.example"`, normalized).
    Hashed: unknown addresses someone tried are not kept in clear."""
    name = f"user:{user_id}" if user_id else f"login:{login}"
    return hashlib.sha256(name.encode()).digest()


def refusal(throttle: ThrottlePolicy, count: AttemptCount, now: datetime) -> DomainError:
    """The error for an attempt refused uncounted: the cap (no end), or its pair's delay."""
    if count.locked_until is None or count.failures >= throttle.disable_after:
        return password_attempts_exhausted()
    return account_temporarily_locked(max(1, math.ceil((count.locked_until - now).total_seconds())))


async def verify_throttled(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    throttle: ThrottlePolicy,
    *,
    key: bytes,
    ip: str,
    password_hash: str | None,
    password: str,
) -> bool:
    """True when `password` matches `password_hash` (None: an unknown account, same time);
    ACCOUNT_TEMPORARILY_LOCKED (this address waits) or TOO_MANY_ATTEMPTS_RESET_PASSWORD (the
    account's cap), unverified, when refused. `ip` is the client's address ("" for checks
    within a session)."""
    address = ip[:MAX_ADDRESS]
    count = await uow.count_password_attempt(key, address, throttle)
    if not count.allowed:
        raise refusal(throttle, count, datetime.now(UTC))
    matched = await hasher.verify(password_hash, password)
    if matched:
        await uow.clear_password_attempts(key, address)
    return matched


async def unlock(uow: UnitOfWork, policy: AdminPolicy, *, admin_user_id: str, user_id: str) -> int:
    """An admin lifts the user's throttle (the cap and every address's delay) without changing
    the password; the consecutive failures the account had."""
    async with uow.begin() as tx:
        SET_PASSWORD.check(await tx.get_user(admin_user_id), policy)
        if await tx.get_user(user_id) is None:
            raise user_not_found()
        return await tx.unlock_password_attempts(account_attempts_key(user_id=user_id))
