"""The scheduled purge of dead rows (DESIGN §4): expired sessions, used or expired one-time
secrets and the ids of events processed long ago, deleted by a job that runs once across
replicas.

Each service lists its `PurgeRule`s and the runtime runs a `Purger` every `purge_interval_s`.
A run first takes a transaction-scoped advisory lock (`pg_try_advisory_xact_lock`, so it also
works behind PgBouncer in transaction mode) on a connection it keeps for the whole run; a replica
that finds the lock taken skips its turn, so one purge per schema runs at a time, and a process
that dies mid-run releases the lock with its connection. That transaction only holds the lock:
under READ COMMITTED an idle transaction keeps no snapshot, so it holds back no vacuum.

The rows go in batches of `purge_batch_size`, each its own short transaction that deletes by
primary key from a `LIMIT`ed subquery skipping rows another transaction has locked: no batch
holds many row locks or waits behind a request. Each rule's condition should be served by an
index (every table purged here has one on the time it tests).

Outbox rows need no purge: the relay deletes each row as soon as it is published
(events/outbox.py).
"""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import Column, ColumnElement, Delete, Table, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from authmesh_kit.settings import DatabaseServiceSettings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PurgeRule:
    """Rows of `table` for which `dead` holds are deleted. `dead` is SQL, evaluated by the
    database at each batch, so it may use `now()` (see `older_than`)."""

    table: Table
    dead: ColumnElement[bool]


def older_than(column: Column[object], age: timedelta) -> ColumnElement[bool]:
    """`column` (a timestamp) lies more than `age` in the database's past."""
    return column < func.now() - age


def processed_events_rule(table: Table, settings: DatabaseServiceSettings) -> PurgeRule:
    """Every consumer's processed-event ids, kept `processed_events_retention_s`."""
    retention = timedelta(seconds=settings.processed_events_retention_s)
    return PurgeRule(table, older_than(table.c.processed_at, retention))


def batch_delete(rule: PurgeRule, batch_size: int) -> Delete:
    """One batch: at most `batch_size` dead rows that no one else has locked, by primary key."""
    key = rule.table.primary_key.columns
    victims = select(*key).where(rule.dead).limit(batch_size).with_for_update(skip_locked=True)
    return rule.table.delete().where(tuple_(*key).in_(victims))


def purge_schema(rules: list[PurgeRule]) -> str:
    """The one schema whose tables `rules` purge."""
    schemas = {str(rule.table.schema) for rule in rules}
    if len(schemas) != 1:
        raise ValueError(f"a purger works on one schema, not {sorted(schemas)}")
    return schemas.pop()


class Purger:
    def __init__(self, engine: AsyncEngine, rules: list[PurgeRule], *, batch_size: int) -> None:
        self._engine = engine
        self._rules = rules
        self._batch_size = batch_size
        self._lock_name = f"authmesh.purge.{purge_schema(rules)}"

    async def run(self, interval_s: float) -> None:
        """Purges now and then every `interval_s`, for as long as the process runs."""
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # noqa: BLE001 - database away: try again next time
                log.warning("purge failed", error=str(exc) or type(exc).__name__)
            await asyncio.sleep(interval_s)

    async def run_once(self) -> dict[str, int] | None:
        """Rows deleted per table; None when another process is purging this schema."""
        async with self._engine.connect() as lock_conn, lock_conn.begin():
            locked = await lock_conn.scalar(
                select(func.pg_try_advisory_xact_lock(func.hashtext(self._lock_name)))
            )
            if not locked:
                return None
            deleted: dict[str, int] = {}
            for rule in self._rules:
                rows = await self._purge(rule)
                deleted[rule.table.name] = deleted.get(rule.table.name, 0) + rows
        for table, rows in deleted.items():
            if rows:
                log.info("purged", table=table, rows=rows)
        return deleted

    async def _purge(self, rule: PurgeRule) -> int:
        statement = batch_delete(rule, self._batch_size)
        total = 0
        while True:
            async with self._engine.begin() as conn:
                result = await conn.execute(statement)
            total += result.rowcount
            if result.rowcount < self._batch_size:
                return total
