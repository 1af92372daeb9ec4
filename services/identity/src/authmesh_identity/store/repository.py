"""Postgres implementation of the identity ports."""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_identity.domain.errors import email_taken
from authmesh_identity.domain.model import NewUser, User, UserWithPassword
from authmesh_identity.domain.phone_numbers import phone_number_exists
from authmesh_identity.domain.usernames import username_taken
from authmesh_identity.store.tables import accounts, users
from authmesh_kit.db.engine import single_statements
from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.ids import new_id

CREDENTIAL_PROVIDER = "credential"


_UNIQUE_USER_FIELDS: dict[str, Callable[[], DomainError]] = {
    "users_email_key": email_taken,
    "users_username_key": username_taken,
    "users_phone_number_key": phone_number_exists,
}


def user_from_row(row: Any) -> User:
    return User(**{column.name: row._mapping[column.name] for column in users.columns})


async def insert_user(conn: AsyncConnection, new_user: NewUser) -> User:
    """The user alone; EMAIL_TAKEN, USERNAME_IS_ALREADY_TAKEN or PHONE_NUMBER_EXIST when one of
    its unique fields is taken. Inside a savepoint, so that the caller's transaction survives
    the unique violation."""
    try:
        async with conn.begin_nested():
            row = (
                await conn.execute(
                    users.insert()
                    .values(
                        id=new_user.id,
                        name=new_user.name,
                        email=new_user.email,
                        image=new_user.image,
                        role=new_user.role,
                        email_verified=new_user.email_verified,
                        username=new_user.username,
                        display_username=new_user.display_username,
                        phone_number=new_user.phone_number,
                        phone_number_verified=new_user.phone_number_verified,
                    )
                    .returning(*users.columns)
                )
            ).one()
    except IntegrityError as exc:
        taken = taken_field_error(exc)
        if taken is None:
            raise
        raise taken from None
    return user_from_row(row)


def taken_field_error(exc: IntegrityError) -> DomainError | None:
    """The domain error of a unique user field another user has; None for other failures."""
    detail = str(exc.orig)
    for constraint, error in _UNIQUE_USER_FIELDS.items():
        if constraint in detail:
            return error()
    return None


async def insert_user_with_password(
    conn: AsyncConnection, new_user: NewUser, password_hash: str
) -> User:
    """The user and its credential account (see `insert_user`)."""
    user = await insert_user(conn, new_user)
    await conn.execute(
        accounts.insert().values(
            id=new_id(),
            account_id=new_user.id,
            provider_id=CREDENTIAL_PROVIDER,
            user_id=new_user.id,
            password=password_hash,
        )
    )
    return user


# The reads of every password sign-in, built once: building a statement and its cache key
# costs more than running it.
_BY_ID = select(users).where(users.c.id == bindparam("user_id"))


def _with_password(login: ColumnElement[str]) -> Select[Any]:
    credential = and_(
        accounts.c.user_id == users.c.id, accounts.c.provider_id == CREDENTIAL_PROVIDER
    )
    return (
        select(*users.columns, accounts.c.password)
        .join(accounts, credential)
        .where(login == bindparam("login"))
    )


_WITH_PASSWORD_BY_EMAIL = _with_password(users.c.email)
_WITH_PASSWORD_BY_USERNAME = _with_password(users.c.username)
_WITH_PASSWORD_BY_PHONE_NUMBER = _with_password(users.c.phone_number)


class PostgresUserStore:
    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self._engine = engine
        self._reads = single_statements(engine)  # for the one-statement reads below
        self._outbox = outbox

    async def create_with_password(
        self, new_user: NewUser, password_hash: str, *events: Envelope
    ) -> User:
        async with self._engine.begin() as conn:
            user = await insert_user_with_password(conn, new_user, password_hash)
            await self._outbox.add(conn, *events)
        return user

    async def find_with_password(self, email: str) -> UserWithPassword | None:
        return await self._find_with_password(_WITH_PASSWORD_BY_EMAIL, email)

    async def find_with_password_by_username(self, username: str) -> UserWithPassword | None:
        return await self._find_with_password(_WITH_PASSWORD_BY_USERNAME, username)

    async def find_with_password_by_phone_number(
        self, phone_number: str
    ) -> UserWithPassword | None:
        return await self._find_with_password(_WITH_PASSWORD_BY_PHONE_NUMBER, phone_number)

    async def _find_with_password(self, query: Select[Any], login: str) -> UserWithPassword | None:
        async with self._reads.connect() as conn:
            row = (await conn.execute(query, {"login": login})).first()
        if row is None or row.password is None:
            return None
        return UserWithPassword(user=user_from_row(row), password_hash=row.password)

    async def username_exists(self, username: str) -> bool:
        async with self._reads.connect() as conn:
            return bool(await conn.scalar(select(exists().where(users.c.username == username))))

    async def get(self, user_id: str) -> User | None:
        async with self._reads.connect() as conn:
            row = (await conn.execute(_BY_ID, {"user_id": user_id})).first()
        return user_from_row(row) if row else None

    async def lookup(self, user_ids: Sequence[str], emails: Sequence[str]) -> list[User]:
        # Two index lookups (primary key, users_email_key), not an OR that could scan.
        found: dict[str, User] = {}
        async with self._engine.connect() as conn:
            for column, values in ((users.c.id, user_ids), (users.c.email, emails)):
                if values:
                    rows = await conn.execute(select(users).where(column.in_(list(values))))
                    for row in rows:
                        user = user_from_row(row)
                        found[user.id] = user
        return list(found.values())

    async def exists_by_email(self, email: str) -> bool:
        async with self._reads.connect() as conn:
            return bool(await conn.scalar(select(exists().where(users.c.email == email))))

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None:
        # Conditional on the old hash: a concurrent password change wins over a re-hash.
        async with self._engine.begin() as conn:
            await conn.execute(
                accounts.update()
                .where(
                    accounts.c.user_id == user_id,
                    accounts.c.provider_id == CREDENTIAL_PROVIDER,
                    accounts.c.password == old_hash,
                )
                .values(password=new_hash)
            )

    async def record(self, *events: Envelope) -> None:
        async with self._engine.begin() as conn:
            await self._outbox.add(conn, *events)
