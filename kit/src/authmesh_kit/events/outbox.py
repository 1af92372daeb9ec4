"""The transactional outbox (DESIGN §3): events are rows written in the same transaction as the
state they describe, and a relay in the service's own process publishes them to JetStream.

Publishing happens before the row's deletion commits, in the transaction that deletes it and
holds its lock: if the relay dies in between, the deletion rolls back and the row is published
again with the same `Nats-Msg-Id`, which JetStream de-duplicates, and consumers are idempotent by
event id anyway. Nothing is lost.
"""

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

import nats.errors
import structlog
from sqlalchemy import CTE, Select, Table, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.db import reachability
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.names import event_subject
from authmesh_kit.events.nats_link import NatsLink
from authmesh_kit.events.notifications import Message, message_subject, seal_message
from authmesh_kit.observability.metrics import OUTBOX_BACKLOG_AGE, OUTBOX_PUBLISHED

log = structlog.get_logger(__name__)

_BATCH = 200
_POLL_INTERVAL_S = 1.0
# Woken by a commit, the relay waits this long before it takes the rows: each take is a
# transaction of three round trips whatever its size, and at tens of sign-ins a second the rows
# committed meanwhile share it rather than paying one each. Events arrive that much later (the
# revocation fan-out's budget is 1 s).
_GATHER_S = 0.02


def notify_channel(schema: str) -> str:
    return f"{schema}_outbox"


class Outbox:
    """Writes events, and sealed messages for the notify service, inside the caller's
    transaction."""

    def __init__(self, table: Table, namespace: str, key_ring: KeyRing | None = None) -> None:
        self._table = table
        self._namespace = namespace
        self._key_ring = key_ring
        self._channel = notify_channel(str(table.schema))
        # One statement per row (several go in one round trip): the row, and the notification
        # that wakes the relay, which Postgres delivers at commit, exactly when the rows become
        # visible (once per transaction: identical notifications fold into one). Built once:
        # building a statement and its cache key costs more than running it.
        added = table.insert().values(
            id=bindparam("id"), subject=bindparam("subject"), payload=bindparam("payload")
        )
        self._add = select(func.pg_notify(bindparam("channel"), "")).add_cte(added.cte("added"))

    async def add(self, conn: AsyncConnection, *envelopes: Envelope) -> None:
        await self._insert(conn, [self._row(envelope) for envelope in envelopes])

    def with_changes(self, *changes: CTE) -> Select[Any]:
        """One statement that makes `changes` (INSERT, UPDATE or DELETE statements as CTEs, with
        bind parameters) and writes one event: one statement is atomic on its own, so run on a
        connection without a transaction it is one round trip where BEGIN, the change, the
        outbox row and COMMIT are four. Build it once; run it with `event_parameters`."""
        return self._add.add_cte(*changes)

    def event_parameters(self, envelope: Envelope) -> dict[str, object]:
        return self._row(envelope) | {"channel": self._channel}

    def _row(self, envelope: Envelope) -> dict[str, object]:
        return {
            "id": envelope.id,
            "subject": event_subject(self._namespace, envelope.type),
            "payload": envelope.SerializeToString(),
        }

    async def add_message(self, conn: AsyncConnection, *messages: Message) -> None:
        if self._key_ring is None:
            raise RuntimeError("this service's outbox has no key ring to seal messages with")
        key_ring = self._key_ring
        await self._insert(
            conn,
            [
                {
                    "id": message.id,
                    "subject": message_subject(self._namespace, message),
                    "payload": seal_message(key_ring, message),
                }
                for message in messages
            ],
        )

    async def _insert(self, conn: AsyncConnection, rows: list[dict[str, object]]) -> None:
        if not rows:
            return
        await conn.execute(self._add, [row | {"channel": self._channel} for row in rows])


class OutboxRelay:
    """Publishes outbox rows in order; woken by LISTEN/NOTIFY, polling as a fallback."""

    def __init__(self, engine: AsyncEngine, table: Table, nats: NatsLink) -> None:
        self._engine = engine
        self._table = table
        self._nats = nats
        self._wake = asyncio.Event()
        self._channel = notify_channel(str(table.schema))
        # One statement takes the oldest rows and deletes them; they stay locked until commit,
        # and a concurrent relay skips them.
        oldest = (
            select(table.c.id)
            .order_by(table.c.created_at, table.c.id)
            .limit(_BATCH)
            .with_for_update(skip_locked=True)
        )
        self._take = (
            table.delete()
            .where(table.c.id.in_(oldest.scalar_subquery()))
            .returning(table.c.id, table.c.subject, table.c.payload, table.c.created_at)
        )

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen_forever(), name="outbox-listen")
        try:
            js = await self._nats.jetstream()
            while True:
                try:
                    while await self._publish_batch(js) == _BATCH:
                        pass
                except Exception as exc:  # noqa: BLE001 - NATS or DB away: keep rows, retry
                    # nats-py's timeouts are OSErrors too, and say nothing of Postgres.
                    if not isinstance(exc, nats.errors.Error):
                        reachability.report_failure(exc)
                    log.warning("outbox relay paused", error=str(exc) or type(exc).__name__)
                    await asyncio.sleep(_POLL_INTERVAL_S)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), _POLL_INTERVAL_S)
                if self._wake.is_set():
                    await asyncio.sleep(_GATHER_S)
                self._wake.clear()
        finally:
            listener.cancel()

    async def _publish_batch(self, js: object) -> int:
        """Deletes the oldest rows and publishes them before the delete commits: if publishing
        fails, the transaction rolls back and the rows stay."""
        async with self._engine.begin() as conn:
            returned = await conn.execute(self._take)
            reachability.POSTGRES_UP.set(1)  # a poll every second: the process's probe
            rows = sorted(returned, key=lambda row: (row.created_at, row.id))  # RETURNING: no order
            if not rows:
                OUTBOX_BACKLOG_AGE.set(0)
                return 0
            OUTBOX_BACKLOG_AGE.set((datetime.now(UTC) - rows[0].created_at).total_seconds())
            for row in rows:
                await js.publish(  # type: ignore[attr-defined]
                    row.subject, row.payload, timeout=2.0, headers={"Nats-Msg-Id": row.id}
                )
        OUTBOX_PUBLISHED.inc(len(rows))
        return len(rows)

    async def _listen_forever(self) -> None:
        while True:
            try:
                async with self._engine.connect() as conn:
                    raw = (await conn.get_raw_connection()).driver_connection
                    assert raw is not None
                    closed = asyncio.Event()
                    raw.add_termination_listener(lambda *_, done=closed: done.set())
                    await raw.add_listener(self._channel, lambda *_: self._wake.set())
                    reachability.POSTGRES_UP.set(1)
                    await closed.wait()
                    reachability.POSTGRES_UP.set(0)  # a lost server shows at once
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - polling covers the gap; listen again later
                reachability.report_failure(exc)
                log.warning("outbox listen failed", error=str(exc) or type(exc).__name__)
                await asyncio.sleep(_POLL_INTERVAL_S)
