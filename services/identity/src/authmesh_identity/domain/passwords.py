"""Password policy and argon2id password hashing, off the event loop (hashing takes ~15 ms of
CPU).

The policy is NIST SP 800-63B's by default: length bounds (Better-Auth's 8..128 UTF-16 units
unless configured) and the bundled blocklist (domain/password_blocklist.py), no composition
rules. The stricter option some operators must follow adds them: 12+ characters with an
upper-case letter, a lower-case letter, a digit and a symbol.

Unknown users are checked against a dummy hash so that the answer takes the same time whether or
not the email exists (OWASP ASVS V6, user enumeration).
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from authmesh_identity.domain.errors import (
    password_compromised,
    password_too_long,
    password_too_short,
    password_too_weak,
)
from authmesh_identity.domain.password_blocklist import is_blocklisted

STRICT_MIN_LENGTH = 12
NIST_MAX_CONSECUTIVE_FAILURES = 100


def utf16_length(text: str) -> int:
    """Length as JavaScript counts it, which Better-Auth's limits use (an emoji counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def has_every_character_class(password: str) -> bool:
    """Upper-case, lower-case, digit and symbol (any other visible character), in any script."""
    return (
        any(char.isupper() for char in password)
        and any(char.islower() for char in password)
        and any(char.isdigit() for char in password)
        and any(not char.isalnum() and not char.isspace() for char in password)
    )


@dataclass(frozen=True)
class ThrottlePolicy:
    """Throttling of password checks (domain/password_throttle.py): progressive delays per
    account and client address from `lock_after` consecutive failures (the first `delay`,
    doubling up to `lock_for`), and the account-wide limit `disable_after` (NIST: at most 100)."""

    lock_after: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    disable_after: int = NIST_MAX_CONSECUTIVE_FAILURES
    delay: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if not 1 <= self.lock_after <= self.disable_after <= NIST_MAX_CONSECUTIVE_FAILURES:
            raise ValueError("need 1 <= lock_after <= disable_after <= 100")


@dataclass(frozen=True)
class AttemptCount:
    """After an attempt was counted, or refused uncounted: the account's consecutive failures,
    and until when the attempt's account+address pair is delayed (None: not delayed)."""

    allowed: bool
    failures: int
    locked_until: datetime | None


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int
    max_length: int
    blocklist: frozenset[str] = frozenset()
    require_character_classes: bool = False
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)

    def check(self, password: str) -> None:
        """Every new password: sign-up, reset, change, and any other way one is set. Better-Auth's
        length errors first; then the composition rule when it is on; then the blocklist."""
        if utf16_length(password) < self.min_length:
            raise password_too_short()
        self.check_max(password)
        if self.require_character_classes and not has_every_character_class(password):
            raise password_too_weak()
        if is_blocklisted(self.blocklist, password):
            raise password_compromised()

    def check_max(self, password: str) -> None:
        """Sign-in checks only this, before any lookup: no hashing of oversized input."""
        if utf16_length(password) > self.max_length:
            raise password_too_long()


class PasswordHasher:
    def __init__(self, memory_kib: int, time_cost: int, parallelism: int, threads: int) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        self._dummy_hash = self._argon2.hash("authmesh-dummy-password")

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self._argon2.hash, password
        )

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; with no hash, burns the same time and returns False."""
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self._verify_sync, password_hash, password
        )

    def _verify_sync(self, password_hash: str | None, password: str) -> bool:
        try:
            matched = self._argon2.verify(password_hash or self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return matched and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon2.check_needs_rehash(password_hash)
