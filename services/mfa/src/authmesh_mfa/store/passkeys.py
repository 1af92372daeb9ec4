"""Passkey transactions on Postgres (domain/passkeys.py `PasskeyUnitOfWork`).

Every query goes by an index: the primary keys, the unique credential id, the user id. Taking a
challenge is one DELETE … RETURNING and advancing a counter one conditional UPDATE, so
concurrent ceremonies never both pass the same check.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.outbox import Outbox
from authmesh_mfa.domain.passkeys import Ceremony, Passkey, PasskeyChallenge
from authmesh_mfa.store.tables import passkey_challenges, passkeys

_challenges = passkey_challenges


def _passkey(row: Any) -> Passkey:
    return Passkey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        credential_id=row.credential_id,
        public_key=bytes(row.public_key),
        counter=row.counter,
        device_type=row.device_type,
        backed_up=row.backed_up,
        transports=row.transports,
        aaguid=row.aaguid,
        created_at=row.created_at,
    )


class PostgresPasskeyTransaction:
    def __init__(self, conn: AsyncConnection, outbox: Outbox) -> None:
        self._conn = conn
        self._outbox = outbox

    async def add_challenge(self, challenge: PasskeyChallenge) -> None:
        await self._conn.execute(
            _challenges.insert().values(
                id_hash=challenge.id_hash,
                ceremony=challenge.ceremony.value,
                challenge=challenge.challenge,
                user_id=challenge.user_id,
                expires_at=challenge.expires_at,
            )
        )

    async def take_challenge(self, id_hash: bytes) -> PasskeyChallenge | None:
        row = (
            await self._conn.execute(
                _challenges.delete()
                .where(_challenges.c.id_hash == id_hash)
                .returning(*_challenges.columns)
            )
        ).first()
        if row is None:
            return None
        return PasskeyChallenge(
            id_hash=bytes(row.id_hash),
            ceremony=Ceremony(row.ceremony),
            challenge=bytes(row.challenge),
            user_id=row.user_id,
            expires_at=row.expires_at,
        )

    async def passkeys_of(self, user_id: str) -> list[Passkey]:
        query = (
            select(passkeys)
            .where(passkeys.c.user_id == user_id)
            .order_by(passkeys.c.created_at, passkeys.c.id)
        )
        return [_passkey(row) for row in await self._conn.execute(query)]

    async def passkey(self, passkey_id: str) -> Passkey | None:
        row = (
            await self._conn.execute(select(passkeys).where(passkeys.c.id == passkey_id))
        ).first()
        return _passkey(row) if row else None

    async def passkey_by_credential_id(self, credential_id: str) -> Passkey | None:
        query = select(passkeys).where(passkeys.c.credential_id == credential_id)
        row = (await self._conn.execute(query)).first()
        return _passkey(row) if row else None

    async def add_passkey(self, passkey: Passkey) -> Passkey | None:
        row = (
            await self._conn.execute(
                insert(passkeys)
                .values(
                    id=passkey.id,
                    user_id=passkey.user_id,
                    name=passkey.name,
                    credential_id=passkey.credential_id,
                    public_key=passkey.public_key,
                    counter=passkey.counter,
                    device_type=passkey.device_type,
                    backed_up=passkey.backed_up,
                    transports=passkey.transports,
                    aaguid=passkey.aaguid,
                    created_at=passkey.created_at,
                )
                .on_conflict_do_nothing(index_elements=[passkeys.c.credential_id])
                .returning(*passkeys.columns)
            )
        ).first()
        return _passkey(row) if row else None

    async def advance_counter(self, passkey_id: str, received: int) -> bool:
        # passkey_ceremonies.counter_moved_forward, decided by the row as it is at the update.
        moved_forward = passkeys.c.counter < received if received else passkeys.c.counter == 0
        result = await self._conn.execute(
            passkeys.update()
            .where(passkeys.c.id == passkey_id, moved_forward)
            .values(counter=received)
        )
        return bool(result.rowcount == 1)

    async def rename_passkey(self, passkey_id: str, name: str) -> Passkey | None:
        row = (
            await self._conn.execute(
                passkeys.update()
                .where(passkeys.c.id == passkey_id)
                .values(name=name)
                .returning(*passkeys.columns)
            )
        ).first()
        return _passkey(row) if row else None

    async def delete_passkey(self, passkey_id: str) -> bool:
        result = await self._conn.execute(passkeys.delete().where(passkeys.c.id == passkey_id))
        return bool(result.rowcount == 1)

    async def delete_user_passkeys(self, user_id: str) -> list[str]:
        result = await self._conn.execute(
            passkeys.delete().where(passkeys.c.user_id == user_id).returning(passkeys.c.id)
        )
        return [row.id for row in result]

    async def add_events(self, *events: Envelope) -> None:
        await self._outbox.add(self._conn, *events)


class PostgresPasskeyUnitOfWork:
    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self._engine = engine
        self._outbox = outbox

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[PostgresPasskeyTransaction]:
        async with self._engine.begin() as conn:
            yield PostgresPasskeyTransaction(conn, self._outbox)
