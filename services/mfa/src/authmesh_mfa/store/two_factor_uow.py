"""Second-factor transactions on Postgres (domain/ports.py `TwoFactorUnitOfWork`).

A user's verifications serialize on their `two_factors` row (`SELECT … FOR UPDATE`), so the
lockout counts every failure and a TOTP step is accepted once. One-time secrets (challenges,
mailed codes, backup codes, trusted devices) are each used up by one conditional UPDATE or
DELETE … RETURNING: Postgres re-checks the condition of a row a concurrent transaction just
changed, so exactly one of any number of racing uses finds it live (DESIGN §4).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_kit.crypto.key_ring import Sealed
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message
from authmesh_kit.events.outbox import Outbox
from authmesh_mfa.domain.model import Challenge, Factors, FailureCount, NewChallenge
from authmesh_mfa.domain.ports import BackupCodeState, CodeOutcome
from authmesh_mfa.store.tables import (
    backup_codes,
    trusted_devices,
    two_factor_challenges,
    two_factor_otps,
    two_factors,
)

_factors = two_factors
_challenges = two_factor_challenges
_otps = two_factor_otps


def _factors_from_row(row: Any) -> Factors:
    secret = None
    if row.totp_ciphertext is not None:
        secret = Sealed(row.totp_key_id, row.totp_nonce, row.totp_ciphertext)
    return Factors(
        user_id=row.user_id,
        totp_secret=secret,
        totp_issuer=row.totp_issuer,
        totp_verified=row.totp_verified,
        otp_enabled=row.otp_enabled,
        last_totp_step=row.last_totp_step,
        backup_code_salt=row.backup_code_salt,
        failed_count=row.failed_count,
        locked_until=row.locked_until,
    )


def _challenge_from_row(row: Any) -> Challenge:
    return Challenge(
        user_id=row.user_id,
        email=row.email,
        dont_remember=row.dont_remember,
        attempts=row.attempts,
        expires_at=row.expires_at,
        risk_otp=row.risk_otp,
    )


class PostgresTwoFactorTransaction:
    def __init__(self, conn: AsyncConnection, outbox: Outbox) -> None:
        self._conn = conn
        self._outbox = outbox

    async def now(self) -> datetime:
        value = await self._conn.scalar(select(func.clock_timestamp()))
        assert isinstance(value, datetime)
        return value

    async def peek_factors(self, user_id: str) -> Factors | None:
        row = (
            await self._conn.execute(select(_factors).where(_factors.c.user_id == user_id))
        ).first()
        return _factors_from_row(row) if row else None

    async def lock_factors(self, user_id: str) -> Factors | None:
        query = select(_factors).where(_factors.c.user_id == user_id).with_for_update()
        row = (await self._conn.execute(query)).first()
        return _factors_from_row(row) if row else None

    async def lock_or_create_factors(self, user_id: str) -> Factors:
        # An upsert that touches the existing row locks and returns it in one statement, so a
        # concurrent deletion either comes before (a new row) or waits for this transaction.
        row = (
            await self._conn.execute(
                insert(_factors)
                .values(user_id=user_id)
                .on_conflict_do_update(
                    index_elements=[_factors.c.user_id], set_={"user_id": user_id}
                )
                .returning(*_factors.columns)
            )
        ).one()
        return _factors_from_row(row)

    async def _update_factors(self, user_id: str, **values: Any) -> None:
        await self._conn.execute(
            _factors.update()
            .where(_factors.c.user_id == user_id)
            .values(**values, updated_at=func.now())
        )

    async def set_totp(self, user_id: str, secret: Sealed, issuer: str) -> None:
        await self._update_factors(
            user_id,
            totp_key_id=secret.key_id,
            totp_nonce=secret.nonce,
            totp_ciphertext=secret.ciphertext,
            totp_issuer=issuer,
            totp_verified=False,
            last_totp_step=None,
        )

    async def reseal_totp(self, user_id: str, secret: Sealed) -> None:
        await self._update_factors(
            user_id,
            totp_key_id=secret.key_id,
            totp_nonce=secret.nonce,
            totp_ciphertext=secret.ciphertext,
        )

    async def mark_totp_verified(self, user_id: str) -> None:
        await self._update_factors(user_id, totp_verified=True)

    async def enable_otp(self, user_id: str) -> None:
        await self._update_factors(user_id, otp_enabled=True)

    async def set_last_totp_step(self, user_id: str, step: int) -> None:
        await self._update_factors(user_id, last_totp_step=step)

    async def record_failure(
        self, user_id: str, *, lock_after: int, lock_until: datetime
    ) -> FailureCount:
        failures = _factors.c.failed_count + 1
        row = (
            await self._conn.execute(
                _factors.update()
                .where(_factors.c.user_id == user_id)
                .values(
                    failed_count=failures,
                    locked_until=case(
                        (failures >= lock_after, lock_until), else_=_factors.c.locked_until
                    ),
                )
                .returning(_factors.c.failed_count, _factors.c.locked_until)
            )
        ).one()
        return FailureCount(failed_count=row.failed_count, locked_until=row.locked_until)

    async def clear_failures(self, user_id: str) -> None:
        await self._conn.execute(
            _factors.update()
            .where(_factors.c.user_id == user_id)
            .values(failed_count=0, locked_until=None)
        )

    async def delete_two_factor(self, user_id: str) -> None:
        for table in (backup_codes, _challenges, _otps, trusted_devices, _factors):
            await self._conn.execute(table.delete().where(table.c.user_id == user_id))

    async def replace_backup_codes(self, user_id: str, salt: bytes, hashes: list[bytes]) -> None:
        await self._conn.execute(backup_codes.delete().where(backup_codes.c.user_id == user_id))
        await self._conn.execute(
            backup_codes.insert(), [{"user_id": user_id, "code_hash": h} for h in hashes]
        )
        await self._update_factors(user_id, backup_code_salt=salt)

    async def backup_code_state(self, user_id: str, code_hash: bytes) -> BackupCodeState:
        used_at = await self._conn.execute(
            select(backup_codes.c.used_at).where(
                backup_codes.c.user_id == user_id, backup_codes.c.code_hash == code_hash
            )
        )
        row = used_at.first()
        if row is None:
            return BackupCodeState.UNKNOWN
        return BackupCodeState.LIVE if row.used_at is None else BackupCodeState.USED

    async def use_backup_code(self, user_id: str, code_hash: bytes) -> bool:
        result = await self._conn.execute(
            backup_codes.update()
            .where(
                backup_codes.c.user_id == user_id,
                backup_codes.c.code_hash == code_hash,
                backup_codes.c.used_at.is_(None),
            )
            .values(used_at=func.now())
        )
        return bool(result.rowcount == 1)

    async def insert_challenge(self, challenge: NewChallenge) -> None:
        await self._conn.execute(
            _challenges.insert().values(
                id_hash=challenge.id_hash,
                user_id=challenge.user_id,
                email=challenge.email,
                dont_remember=challenge.dont_remember,
                first_factor=challenge.first_factor,
                expires_at=challenge.expires_at,
                risk_otp=challenge.risk_otp,
            )
        )

    def _live_challenge(self, id_hash: bytes) -> tuple[Any, ...]:
        return (
            _challenges.c.id_hash == id_hash,
            _challenges.c.consumed_at.is_(None),
            _challenges.c.expires_at > func.now(),
        )

    async def live_challenge(self, id_hash: bytes) -> Challenge | None:
        query = select(_challenges).where(*self._live_challenge(id_hash))
        row = (await self._conn.execute(query)).first()
        return _challenge_from_row(row) if row else None

    async def count_challenge_attempt(self, id_hash: bytes) -> Challenge | None:
        row = (
            await self._conn.execute(
                _challenges.update()
                .where(*self._live_challenge(id_hash))
                .values(attempts=_challenges.c.attempts + 1)
                .returning(*_challenges.columns)
            )
        ).first()
        return _challenge_from_row(row) if row else None

    async def consume_challenge(self, id_hash: bytes) -> None:
        await self._conn.execute(
            _challenges.update()
            .where(_challenges.c.id_hash == id_hash)
            .values(consumed_at=func.now())
        )

    async def put_otp(
        self, scope: bytes, user_id: str, code_hash: bytes, expires_at: datetime
    ) -> None:
        fresh = {
            "user_id": user_id,
            "code_hash": code_hash,
            "attempts": 0,
            "expires_at": expires_at,
            "consumed_at": None,
        }
        await self._conn.execute(
            insert(_otps)
            .values(scope=scope, **fresh)
            .on_conflict_do_update(index_elements=[_otps.c.scope], set_=fresh)
        )

    async def use_otp(self, scope: bytes, code_hash: bytes, attempts: int) -> CodeOutcome:
        live = (
            _otps.c.scope == scope,
            _otps.c.consumed_at.is_(None),
            _otps.c.expires_at > func.now(),
            _otps.c.attempts < attempts,
        )
        right = await self._conn.execute(
            _otps.update()
            .where(*live, _otps.c.code_hash == code_hash)
            .values(consumed_at=func.now())
        )
        if right.rowcount == 1:
            return CodeOutcome.VALID
        wrong = await self._conn.execute(
            _otps.update()
            .where(*live, _otps.c.code_hash != code_hash)
            .values(attempts=_otps.c.attempts + 1)
        )
        if wrong.rowcount == 1:
            return CodeOutcome.INVALID
        row = (
            await self._conn.execute(
                select(
                    _otps.c.consumed_at,
                    _otps.c.attempts,
                    (_otps.c.expires_at <= func.now()).label("expired"),
                ).where(_otps.c.scope == scope)
            )
        ).first()
        if row is None or row.consumed_at is not None or row.expired:
            return CodeOutcome.NOT_FOUND
        return CodeOutcome.TOO_MANY_ATTEMPTS

    async def insert_trusted_device(
        self, id_hash: bytes, user_id: str, expires_at: datetime
    ) -> None:
        await self._conn.execute(
            trusted_devices.insert().values(id_hash=id_hash, user_id=user_id, expires_at=expires_at)
        )

    async def take_trusted_device(self, id_hash: bytes, user_id: str) -> bool:
        result = await self._conn.execute(
            trusted_devices.delete().where(
                trusted_devices.c.id_hash == id_hash,
                trusted_devices.c.user_id == user_id,
                trusted_devices.c.expires_at > func.now(),
            )
        )
        return bool(result.rowcount == 1)

    async def delete_trusted_devices(self, user_id: str) -> int:
        result = await self._conn.execute(
            trusted_devices.delete().where(trusted_devices.c.user_id == user_id)
        )
        return int(result.rowcount)

    async def add_events(self, *events: Envelope) -> None:
        await self._outbox.add(self._conn, *events)

    async def add_messages(self, *messages: Message) -> None:
        await self._outbox.add_message(self._conn, *messages)


class PostgresTwoFactorUnitOfWork:
    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self._engine = engine
        self._outbox = outbox

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[PostgresTwoFactorTransaction]:
        async with self._engine.begin() as conn:
            yield PostgresTwoFactorTransaction(conn, self._outbox)
