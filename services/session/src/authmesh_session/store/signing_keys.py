"""Postgres implementation of the signing-key store. The table holds a handful of rows: the
current key and those still published."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_kit.crypto.key_ring import Sealed
from authmesh_session.domain.signing_keys import SigningKey
from authmesh_session.store.tables import signing_keys

_NEWEST_FIRST = signing_keys.c.created_at.desc()


def key_from_row(row: Any) -> SigningKey:
    return SigningKey(
        id=row.id,
        alg=row.alg,
        crv=row.crv,
        public_key=row.public_key,
        private_key=Sealed(
            row.private_key_ring_id,
            bytes(row.private_key_nonce),
            bytes(row.private_key_ciphertext),
        ),
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


def _row(key: SigningKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "alg": key.alg,
        "crv": key.crv,
        "public_key": key.public_key,
        "private_key_ring_id": key.private_key.key_id,
        "private_key_nonce": key.private_key.nonce,
        "private_key_ciphertext": key.private_key.ciphertext,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
    }


class PostgresSigningKeyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def published_since(self, cutoff: datetime) -> list[SigningKey]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(signing_keys)
                .where(signing_keys.c.expires_at > cutoff)
                .order_by(_NEWEST_FIRST)
            )
            return [key_from_row(row) for row in rows]

    async def current_or_add(
        self, now: datetime, candidate: SigningKey, *, retired_before: datetime
    ) -> SigningKey:
        async with self._engine.begin() as conn:
            await _lock(conn)
            row = (
                await conn.execute(
                    select(signing_keys)
                    .where(signing_keys.c.expires_at > now)
                    .order_by(_NEWEST_FIRST)
                    .limit(1)
                )
            ).first()
            if row is not None:
                return key_from_row(row)
            await conn.execute(
                signing_keys.delete().where(signing_keys.c.expires_at <= retired_before)
            )
            await conn.execute(signing_keys.insert().values(**_row(candidate)))
        return candidate


async def _lock(conn: AsyncConnection) -> None:
    """Serialises key creation across replicas until the transaction ends (a transaction-level
    advisory lock, so readers of the published keys never wait)."""
    await conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(signing_keys.fullname))))
