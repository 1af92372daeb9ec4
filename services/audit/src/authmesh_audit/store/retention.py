"""Retention: the oldest entries go, the chain stays verifiable.

Entries are removed from the start of the chain only, in sequence order, while they were
recorded more than the retention age ago (`recorded_at` grows with the sequence, store/
repository.py). Each batch removes its entries and records the last one's sequence and hash as
an anchor in the same transaction, so a verification always starts from an anchor whose
successor is the first entry left. A run takes a transaction-scoped advisory lock first, as
the kit's purge does (authmesh_kit.db.purge): one run across replicas at a time.
"""

from datetime import timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from authmesh_audit.store.tables import anchors, entries

_LOCK_NAME = "authmesh.audit.retention"


class PostgresRetention:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def remove_older_than(self, age: timedelta, batch_size: int) -> int | None:
        """Entries removed; None when another replica is running retention."""
        async with self._engine.connect() as lock_conn, lock_conn.begin():
            locked = await lock_conn.scalar(
                select(func.pg_try_advisory_xact_lock(func.hashtext(_LOCK_NAME)))
            )
            if not locked:
                return None
            total = 0
            while True:
                removed = await self._remove_batch(age, batch_size)
                total += removed
                if removed < batch_size:
                    return total

    async def _remove_batch(self, age: timedelta, batch_size: int) -> int:
        async with self._engine.begin() as conn:
            newest = select(anchors.c.sequence).order_by(anchors.c.sequence.desc()).limit(1)
            after: int = (await conn.scalar(newest)) or 0
            rows = (
                await conn.execute(
                    select(
                        entries.c.sequence,
                        entries.c.hash,
                        (entries.c.recorded_at < func.now() - age).label("expired"),
                    )
                    .where(entries.c.sequence > after)
                    .order_by(entries.c.sequence)
                    .limit(batch_size)
                )
            ).all()
            if rows and rows[0].sequence != after + 1:
                # The chain has a hole at its start: leave it for `verify` to name, rather than
                # anchoring over it.
                return 0
            expired = []
            for row in rows:
                if not row.expired:
                    break
                expired.append(row)
            if not expired:
                return 0
            last = expired[-1]
            await conn.execute(
                delete(entries).where(
                    entries.c.sequence > after, entries.c.sequence <= last.sequence
                )
            )
            await conn.execute(
                insert(anchors).values(sequence=last.sequence, hash=last.hash, removed=len(expired))
            )
            return len(expired)
