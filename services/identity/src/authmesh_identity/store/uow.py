"""Account-flow transactions on Postgres (domain/ports.py `UnitOfWork`).

Every write of a flow — the state change, the one-time token row, the events and the sealed
notify messages — goes through one connection in one transaction, so they commit together.
A token is used up by a single conditional UPDATE … RETURNING: Postgres re-checks the condition
of a row a concurrent transaction just changed, so exactly one of any number of racing uses
finds it live (DESIGN §4).
"""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_identity.domain.model import NewUser, OneTimeToken, ProfileUpdate, TokenState, User
from authmesh_identity.domain.one_time_codes import (
    CodeCheck,
    CodeOutcome,
    CodePolicy,
    CodePurpose,
)
from authmesh_identity.domain.one_time_tokens import TokenPurpose
from authmesh_identity.domain.password_throttle import account_attempts_key
from authmesh_identity.domain.passwords import AttemptCount, ThrottlePolicy
from authmesh_identity.store.password_attempts import clear_attempts, count_attempt
from authmesh_identity.store.repository import (
    CREDENTIAL_PROVIDER,
    insert_user,
    insert_user_with_password,
    taken_field_error,
    user_from_row,
)
from authmesh_identity.store.tables import (
    accounts,
    one_time_codes,
    one_time_tokens,
    two_factor_changes,
    users,
)
from authmesh_kit.db.engine import single_statements
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.ids import new_id

_tokens = one_time_tokens
_codes = one_time_codes


def _state(row: Any, consumed: bool | None = None) -> TokenState:
    return TokenState(
        user_id=row.user_id,
        email=row.email,
        expires_at=row.expires_at,
        consumed=row.consumed_at is not None if consumed is None else consumed,
        new_user_name=row.new_user_name,
    )


class PostgresAccountTransaction:
    def __init__(self, conn: AsyncConnection, outbox: Outbox) -> None:
        self._conn = conn
        self._outbox = outbox

    async def create_user_with_password(self, new_user: NewUser, password_hash: str) -> User:
        return await insert_user_with_password(self._conn, new_user, password_hash)

    async def create_user(self, new_user: NewUser) -> User:
        return await insert_user(self._conn, new_user)

    async def get_user(self, user_id: str) -> User | None:
        row = (await self._conn.execute(select(users).where(users.c.id == user_id))).first()
        return user_from_row(row) if row else None

    async def user_by_email(self, email: str) -> User | None:
        row = (await self._conn.execute(select(users).where(users.c.email == email))).first()
        return user_from_row(row) if row else None

    async def user_by_phone_number(self, phone_number: str) -> User | None:
        query = select(users).where(users.c.phone_number == phone_number)
        row = (await self._conn.execute(query)).first()
        return user_from_row(row) if row else None

    async def credential_hash(self, user_id: str) -> str | None:
        value = await self._conn.scalar(
            select(accounts.c.password).where(
                accounts.c.user_id == user_id, accounts.c.provider_id == CREDENTIAL_PROVIDER
            )
        )
        return str(value) if value is not None else None

    async def insert_token(self, token: OneTimeToken) -> None:
        await self._conn.execute(
            _tokens.insert().values(
                token_hash=token.token_hash,
                purpose=token.purpose,
                user_id=token.user_id,
                email=token.email,
                expires_at=token.expires_at,
                new_user_name=token.new_user_name,
            )
        )

    async def consume_token(self, token_hash: bytes, purpose: str) -> TokenState | None:
        row = (
            await self._conn.execute(
                _tokens.update()
                .where(
                    _tokens.c.token_hash == token_hash,
                    _tokens.c.purpose == purpose,
                    _tokens.c.consumed_at.is_(None),
                    _tokens.c.expires_at > func.now(),
                )
                .values(consumed_at=func.now())
                .returning(
                    _tokens.c.user_id,
                    _tokens.c.email,
                    _tokens.c.expires_at,
                    _tokens.c.new_user_name,
                )
            )
        ).first()
        return _state(row, consumed=True) if row else None

    async def token_state(self, token_hash: bytes, purpose: str) -> TokenState | None:
        row = (
            await self._conn.execute(
                select(
                    _tokens.c.user_id,
                    _tokens.c.email,
                    _tokens.c.expires_at,
                    _tokens.c.consumed_at,
                    _tokens.c.new_user_name,
                ).where(_tokens.c.token_hash == token_hash, _tokens.c.purpose == purpose)
            )
        ).first()
        return _state(row) if row else None

    async def invalidate_tokens(self, user_id: str, purpose: str) -> int:
        result = await self._conn.execute(
            _tokens.update()
            .where(
                _tokens.c.user_id == user_id,
                _tokens.c.purpose == purpose,
                _tokens.c.consumed_at.is_(None),
                _tokens.c.expires_at > func.now(),
            )
            .values(consumed_at=func.now())
        )
        return int(result.rowcount)

    async def invalidate_password_resets(self, user: User) -> int:
        links = await self.invalidate_tokens(user.id, TokenPurpose.PASSWORD_RESET.value)
        # By primary key: the user's address and number are where its reset codes were sent.
        sent_to = [(CodePurpose.EMAIL_PASSWORD_RESET.value, user.email)]
        if user.phone_number:
            sent_to.append((CodePurpose.PHONE_PASSWORD_RESET.value, user.phone_number))
        codes = await self._conn.execute(
            _codes.update()
            .where(
                tuple_(_codes.c.purpose, _codes.c.identifier).in_(sent_to),
                _codes.c.user_id == user.id,
                _codes.c.consumed_at.is_(None),
                _codes.c.expires_at > func.now(),
            )
            .values(consumed_at=func.now())
        )
        return links + int(codes.rowcount)

    async def invalidate_secrets(self, user_id: str, email: str) -> int:
        tokens = await self._conn.execute(
            _tokens.update()
            .where(
                _tokens.c.user_id == user_id,
                _tokens.c.consumed_at.is_(None),
                _tokens.c.expires_at > func.now(),
            )
            .values(consumed_at=func.now())
        )
        # Every purpose, so that the primary key (purpose, identifier) finds them.
        codes = await self._conn.execute(
            _codes.update()
            .where(
                _codes.c.purpose.in_([purpose.value for purpose in CodePurpose]),
                _codes.c.identifier == email,
                _codes.c.consumed_at.is_(None),
                _codes.c.expires_at > func.now(),
            )
            .values(consumed_at=func.now())
        )
        return int(tokens.rowcount) + int(codes.rowcount)

    async def claim_unverified_user(self, user_id: str) -> User | None:
        # The conditional UPDATE decides: of concurrent proofs, one strips the accounts.
        row = (
            await self._conn.execute(
                users.update()
                .where(users.c.id == user_id, users.c.email_verified.is_(False))
                .values(email_verified=True, updated_at=func.now())
                .returning(*users.columns)
            )
        ).first()
        if row is None:
            return None
        await self._conn.execute(accounts.delete().where(accounts.c.user_id == user_id))
        return user_from_row(row)

    async def change_email(self, user_id: str, email: str) -> User | None:
        return await self._update_user(user_id, {"email": email, "email_verified": True})

    async def delete_user(self, user_id: str) -> bool:
        result = await self._conn.execute(users.delete().where(users.c.id == user_id))
        return bool(result.rowcount == 1)

    async def put_code(
        self,
        purpose: str,
        identifier: str,
        code_hash: bytes,
        user_id: str | None,
        expires_at: datetime,
    ) -> None:
        fresh = {
            "code_hash": code_hash,
            "user_id": user_id,
            "expires_at": expires_at,
            "consumed_at": None,
            "attempts": 0,
            "created_at": func.now(),
        }
        await self._conn.execute(
            insert(_codes)
            .values(purpose=purpose, identifier=identifier, **fresh)
            .on_conflict_do_update(constraint="one_time_codes_pkey", set_=fresh)
        )

    async def use_code(
        self, purpose: str, identifier: str, code_hash: bytes, policy: CodePolicy, *, consume: bool
    ) -> CodeCheck:
        this_code = (_codes.c.purpose == purpose, _codes.c.identifier == identifier)
        live = (_codes.c.consumed_at.is_(None), _codes.c.expires_at > func.now())
        unlocked = (_codes.c.locked_until.is_(None)) | (_codes.c.locked_until <= func.now())
        # A right guess: one conditional UPDATE, so of concurrent uses exactly one consumes it.
        right = (
            await self._conn.execute(
                _codes.update()
                .where(
                    *this_code,
                    *live,
                    unlocked,
                    _codes.c.code_hash == code_hash,
                    _codes.c.attempts < policy.attempts_per_code,
                )
                .values(
                    failures=0,
                    locked_until=None,
                    consumed_at=func.now() if consume else None,
                )
                .returning(_codes.c.user_id)
            )
        ).first()
        if right is not None:
            return CodeCheck(CodeOutcome.VALID, right.user_id)
        # A wrong guess at a live code: both counters rise in one UPDATE, whatever they are, so
        # that every concurrent guess is counted; the lockout starts at the threshold.
        failures = _codes.c.failures + 1
        wrong = (
            await self._conn.execute(
                _codes.update()
                .where(*this_code, *live, _codes.c.code_hash != code_hash)
                .values(
                    attempts=_codes.c.attempts + 1,
                    failures=failures,
                    locked_until=case(
                        (failures >= policy.failures_before_lockout, func.now() + policy.lockout),
                        else_=_codes.c.locked_until,
                    ),
                )
                .returning(_codes.c.attempts, _codes.c.locked_until)
            )
        ).first()
        if wrong is not None:
            exhausted = wrong.attempts > policy.attempts_per_code
            locked = wrong.locked_until is not None and wrong.locked_until > datetime.now(UTC)
            return CodeCheck(
                CodeOutcome.TOO_MANY_ATTEMPTS if exhausted or locked else CodeOutcome.INVALID
            )
        # Neither: the right code refused (dead or locked out), or nothing live to guess at.
        row = (
            await self._conn.execute(
                select(
                    _codes.c.consumed_at,
                    _codes.c.expires_at,
                    _codes.c.attempts,
                    _codes.c.locked_until,
                    func.now().label("now"),
                ).where(*this_code)
            )
        ).first()
        if row is None or row.consumed_at is not None:
            return CodeCheck(CodeOutcome.NOT_FOUND)
        if row.expires_at <= row.now:
            return CodeCheck(CodeOutcome.EXPIRED)
        return CodeCheck(CodeOutcome.TOO_MANY_ATTEMPTS)

    async def set_email_verified(self, user_id: str) -> User | None:
        row = (
            await self._conn.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(email_verified=True, updated_at=func.now())
                .returning(*users.columns)
            )
        ).first()
        return user_from_row(row) if row else None

    async def set_password_hash(self, user_id: str, new_hash: str) -> None:
        result = await self._conn.execute(
            accounts.update()
            .where(accounts.c.user_id == user_id, accounts.c.provider_id == CREDENTIAL_PROVIDER)
            .values(password=new_hash, updated_at=func.now())
        )
        if result.rowcount == 0:  # e.g. a user who only ever signed in another way
            await self._conn.execute(
                accounts.insert().values(
                    id=new_id(),
                    account_id=user_id,
                    provider_id=CREDENTIAL_PROVIDER,
                    user_id=user_id,
                    password=new_hash,
                )
            )
        await clear_attempts(self._conn, account_attempts_key(user_id=user_id))

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        result = await self._conn.execute(
            accounts.update()
            .where(
                accounts.c.user_id == user_id,
                accounts.c.provider_id == CREDENTIAL_PROVIDER,
                accounts.c.password == old_hash,
            )
            .values(password=new_hash, updated_at=func.now())
        )
        return bool(result.rowcount == 1)

    async def update_profile(self, user_id: str, update: ProfileUpdate) -> User | None:
        values: dict[str, Any] = {}
        if update.name is not None:
            values["name"] = update.name
        if update.image is not None or update.clear_image:
            values["image"] = update.image
        if update.username is not None or update.clear_username:
            values["username"] = update.username
        if update.display_username is not None or update.clear_display_username:
            values["display_username"] = update.display_username
        if update.clear_phone_number:
            values |= {"phone_number": None, "phone_number_verified": False}
        return await self._update_user(user_id, values)

    async def set_phone_number_verified(self, user_id: str, phone_number: str) -> User | None:
        values = {"phone_number": phone_number, "phone_number_verified": True}
        return await self._update_user(user_id, values)

    async def update_user_fields(self, user_id: str, values: Mapping[str, Any]) -> User | None:
        return await self._update_user(user_id, dict(values))

    async def lift_lapsed_ban(self, user_id: str) -> User | None:
        row = (
            await self._conn.execute(
                users.update()
                .where(
                    users.c.id == user_id,
                    users.c.banned.is_(True),
                    users.c.ban_expires <= func.now(),
                )
                .values(banned=False, ban_reason=None, ban_expires=None, updated_at=func.now())
                .returning(*users.columns)
            )
        ).first()
        return user_from_row(row) if row else None

    async def _update_user(self, user_id: str, values: dict[str, Any]) -> User | None:
        """In a savepoint, so that a unique field another user has is its domain error and
        the flow's transaction survives it."""
        try:
            async with self._conn.begin_nested():
                row = (
                    await self._conn.execute(
                        users.update()
                        .where(users.c.id == user_id)
                        .values(**values, updated_at=func.now())
                        .returning(*users.columns)
                    )
                ).first()
        except IntegrityError as exc:
            taken = taken_field_error(exc)
            if taken is None:
                raise
            raise taken from None
        return user_from_row(row) if row else None

    async def unlock_password_attempts(self, key: bytes) -> int:
        return await clear_attempts(self._conn, key)

    async def set_two_factor_enabled(
        self, user_id: str, enabled: bool, changed_at: datetime
    ) -> bool:
        # The user's row is locked first (a deleted user takes no change), then the upsert
        # locks the change's: of racing changes the newest wins whatever their order.
        user = select(users.c.id).where(users.c.id == user_id).with_for_update()
        if (await self._conn.execute(user)).first() is None:
            return False
        newer = (
            await self._conn.execute(
                insert(two_factor_changes)
                .values(user_id=user_id, changed_at=changed_at)
                .on_conflict_do_update(
                    index_elements=[two_factor_changes.c.user_id],
                    set_={"changed_at": changed_at},
                    where=two_factor_changes.c.changed_at < changed_at,
                )
                .returning(two_factor_changes.c.user_id)
            )
        ).first()
        if newer is None:
            return False
        await self._conn.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(two_factor_enabled=enabled, updated_at=func.now())
        )
        return True

    async def add_events(self, *events: Envelope) -> None:
        await self._outbox.add(self._conn, *events)

    async def add_messages(self, *messages: Message) -> None:
        await self._outbox.add_message(self._conn, *messages)


class PostgresUnitOfWork:
    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self._engine = engine
        self._single = single_statements(engine)  # the throttle's one-statement writes
        self._outbox = outbox

    async def count_password_attempt(
        self, key: bytes, ip: str, throttle: ThrottlePolicy
    ) -> AttemptCount:
        async with self._single.connect() as conn:
            return await count_attempt(conn, key, ip, throttle)

    async def clear_password_attempts(self, key: bytes, ip: str) -> None:
        async with self._single.connect() as conn:
            await clear_attempts(conn, key, ip)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[PostgresAccountTransaction]:
        async with self._engine.begin() as conn:
            yield PostgresAccountTransaction(conn, self._outbox)
