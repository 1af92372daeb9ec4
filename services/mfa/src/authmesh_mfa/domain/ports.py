"""What the second-factor use cases need from storage, as Protocols. Passkeys declare theirs
in domain/passkeys.py."""

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from enum import Enum
from typing import Protocol

from authmesh_kit.crypto.key_ring import Sealed
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message
from authmesh_mfa.domain.model import Challenge, Factors, FailureCount, NewChallenge


class CodeOutcome(Enum):
    """What checking a mailed code found."""

    VALID = "valid"  # and consumed
    INVALID = "invalid"  # a wrong guess, counted
    NOT_FOUND = "not-found"  # never sent, expired or used
    TOO_MANY_ATTEMPTS = "too-many-attempts"  # the code used up its tries


class BackupCodeState(Enum):
    LIVE = "live"
    USED = "used"
    UNKNOWN = "unknown"


class TwoFactorTransaction(Protocol):
    """One database transaction of a second-factor flow: state changes, one-time secrets,
    events and sealed messages commit together or not at all. Methods that read a user's
    factors for a change lock the row, so that one user's verifications run one at a time:
    that makes the lockout exact and a TOTP step usable once."""

    async def now(self) -> datetime:
        """The database's clock now (not the transaction's start): after a lock is taken it
        orders this change after every change that held the lock before."""
        ...

    async def peek_factors(self, user_id: str) -> Factors | None:
        """The user's factors, unlocked: for what must happen before the transaction that
        decides (hashing a typed backup code)."""
        ...

    async def lock_factors(self, user_id: str) -> Factors | None: ...

    async def lock_or_create_factors(self, user_id: str) -> Factors:
        """The user's factors, locked; an empty row first when there is none."""
        ...

    async def set_totp(self, user_id: str, secret: Sealed, issuer: str) -> None:
        """A new secret awaiting its first verification."""
        ...

    async def reseal_totp(self, user_id: str, secret: Sealed) -> None:
        """The same secret sealed with the key ring's current key."""
        ...

    async def mark_totp_verified(self, user_id: str) -> None: ...

    async def enable_otp(self, user_id: str) -> None: ...

    async def set_last_totp_step(self, user_id: str, step: int) -> None: ...

    async def record_failure(
        self, user_id: str, *, lock_after: int, lock_until: datetime
    ) -> FailureCount:
        """One more consecutive failure; at `lock_after` the factors lock until `lock_until`."""
        ...

    async def clear_failures(self, user_id: str) -> None: ...

    async def delete_two_factor(self, user_id: str) -> None:
        """Every second factor of the user: factors, backup codes, challenges, mailed codes and
        trusted devices."""
        ...

    async def replace_backup_codes(
        self, user_id: str, salt: bytes, hashes: list[bytes]
    ) -> None: ...

    async def backup_code_state(self, user_id: str, code_hash: bytes) -> BackupCodeState: ...

    async def use_backup_code(self, user_id: str, code_hash: bytes) -> bool:
        """Marks the code used if it is live: one conditional UPDATE, so of concurrent uses
        exactly one gets True."""
        ...

    async def insert_challenge(self, challenge: NewChallenge) -> None: ...

    async def live_challenge(self, id_hash: bytes) -> Challenge | None: ...

    async def count_challenge_attempt(self, id_hash: bytes) -> Challenge | None:
        """One more try at a live challenge (counted atomically, and the row locked until the
        transaction ends); None when it is not live."""
        ...

    async def consume_challenge(self, id_hash: bytes) -> None: ...

    async def put_otp(
        self, scope: bytes, user_id: str, code_hash: bytes, expires_at: datetime
    ) -> None:
        """The scope's one live code, replacing any earlier one (its tries start again)."""
        ...

    async def use_otp(self, scope: bytes, code_hash: bytes, attempts: int) -> CodeOutcome:
        """Checks a guess with an atomic counter: VALID consumes the code; a wrong guess is
        counted; at `attempts` wrong guesses the code is dead."""
        ...

    async def insert_trusted_device(
        self, id_hash: bytes, user_id: str, expires_at: datetime
    ) -> None: ...

    async def take_trusted_device(self, id_hash: bytes, user_id: str) -> bool:
        """Deletes the device if it is the user's and unexpired: of concurrent uses exactly one
        gets True."""
        ...

    async def delete_trusted_devices(self, user_id: str) -> int: ...

    async def add_events(self, *events: Envelope) -> None: ...

    async def add_messages(self, *messages: Message) -> None:
        """Sealed for the notify service, in this transaction."""
        ...


class TwoFactorUnitOfWork(Protocol):
    def begin(self) -> AbstractAsyncContextManager[TwoFactorTransaction]: ...
