"""argon2id password hashing, off the event loop (hashing takes ~15 ms of CPU).

Unknown users are checked against a dummy hash so that the answer takes the same time whether or
not the email exists (OWASP ASVS V6, user enumeration).
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from authmesh_identity.domain.errors import password_too_long, password_too_short


def utf16_length(text: str) -> int:
    """Length as JavaScript counts it, which Better-Auth's limits use (an emoji counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class PasswordPolicy:
    def __init__(self, min_length: int, max_length: int) -> None:
        self.min_length = min_length
        self.max_length = max_length

    def check(self, password: str) -> None:
        if utf16_length(password) < self.min_length:
            raise password_too_short()
        self.check_max(password)

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
