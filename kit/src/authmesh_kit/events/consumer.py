"""A durable, explicitly acking, idempotent JetStream consumer.

The handler runs in a database transaction together with the insert of the event id into the
service's `processed_events` table: an event delivered twice is applied once, and it is acked
only after that transaction committed. A failing handler gets the message redelivered later.
`BatchEventConsumer` does the same for each fetched batch in one transaction.

A service whose handler is idempotent by itself (an upsert that keeps the newest value, a row
keyed by the event id) passes no `processed` table: the mark would be a second write, and a
round trip, per event that buys nothing.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from sqlalchemy import Table, bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_kit.db import reachability
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.names import durable_name
from authmesh_kit.events.nats_link import NatsLink
from authmesh_kit.observability.metrics import CONSUMER_LAG, EVENT_DELIVERY_SECONDS, EVENTS_CONSUMED
from authmesh_kit.observability.tracing import context_from_traceparent

log = structlog.get_logger(__name__)
tracer = trace.get_tracer(__name__)

# May answer False: the event was found applied already (a redelivery); anything else is applied.
Handler = Callable[[AsyncConnection, Envelope], Awaitable[object]]
Applied = Callable[[Envelope], None]

_FETCH_BATCH = 100
_RETRY_DELAY_S = 2.0


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        namespace: str,
        stream: str,
        filter_subject: str,
        nats: NatsLink,
        engine: AsyncEngine,
        processed: Table | None,
        handler: Handler,
        on_applied: Applied | None = None,
    ) -> None:
        """`processed`: the table of applied event ids, None when `handler` is idempotent itself.
        `on_applied` sees each event the handler applied, after its transaction committed
        (never one rolled back, nor a duplicate known as one): where exact counts are kept."""
        self._name = name
        self._durable = durable_name(namespace, name)
        self._stream = stream
        self._filter = filter_subject
        self._nats = nats
        self._engine = engine
        self._processed = processed
        # Built once: building a statement and its cache key costs more than running it.
        self._mark_processed = (
            None
            if processed is None
            else insert(processed)
            .values(event_id=bindparam("event_id"))
            .on_conflict_do_nothing()
            .returning(processed.c.event_id)
        )
        self._handler = handler
        self._on_applied = on_applied

    async def run(self) -> None:
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - NATS away or stream missing: retry
                log.warning("consumer paused", consumer=self._name, error=str(exc) or repr(exc))
                await asyncio.sleep(_RETRY_DELAY_S)

    async def _consume(self) -> None:
        js = await self._nats.jetstream()
        subscription = await js.pull_subscribe(
            self._filter,
            durable=self._durable,
            stream=self._stream,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30,
                max_ack_pending=1000,
            ),
        )
        try:
            while True:
                try:
                    messages = await subscription.fetch(_FETCH_BATCH, timeout=1.0)
                # nats-py raises its own TimeoutError, or the builtin one from deeper inside;
                # both only mean that nothing arrived within the second.
                except TimeoutError:
                    continue
                await self._handle_all(messages)
                pending = messages[-1].metadata.num_pending if messages else 0
                CONSUMER_LAG.labels(self._name).set(pending)
        finally:
            # nats-py's fetch takes messages off the subscription's queue without marking them
            # done, so draining this subscription (NatsLink.close drains the connection) waits
            # forever and the process is killed at the end of its grace period. Unsubscribing
            # does not wait; on a retry it also keeps the old subscription from leaking.
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _handle_all(self, messages: list[Msg]) -> None:
        for message in messages:
            await self._handle(message)

    async def _handle(self, message: Msg) -> None:
        envelope = Envelope()
        try:
            envelope.ParseFromString(message.data)
        except Exception:  # noqa: BLE001 - a malformed message can never succeed: drop it
            log.error("undecodable event dropped", consumer=self._name, subject=message.subject)
            EVENTS_CONSUMED.labels(self._name, "undecodable").inc()
            await message.term()
            return
        context = context_from_traceparent(envelope.traceparent)
        with tracer.start_as_current_span(f"consume {envelope.type}", context=context):
            try:
                async with self._engine.begin() as conn:
                    first = await self._first_delivery(conn, envelope)
                    applied = first and await self._apply_one(conn, envelope)
                    result = "handled" if applied else "duplicate"
            except Exception as exc:
                reachability.report_failure(exc)
                log.exception("event handler failed", consumer=self._name, event_id=envelope.id)
                EVENTS_CONSUMED.labels(self._name, "failed").inc()
                await message.nak(delay=_RETRY_DELAY_S)
                return
        reachability.POSTGRES_UP.set(1)
        await message.ack()
        if result == "handled" and self._on_applied is not None:
            self._on_applied(envelope)
        EVENTS_CONSUMED.labels(self._name, result).inc()
        EVENT_DELIVERY_SECONDS.labels(self._name).observe(
            max(0.0, time.time() - envelope.occurred_at.ToSeconds())
        )

    async def _apply_one(self, conn: AsyncConnection, envelope: Envelope) -> bool:
        return (await self._handler(conn, envelope)) is not False

    async def _first_delivery(self, conn: AsyncConnection, envelope: Envelope) -> bool:
        if self._mark_processed is None:
            return True  # the handler makes a redelivery harmless
        inserted = await conn.execute(self._mark_processed, {"event_id": envelope.id})
        return inserted.first() is not None


# Returns the envelopes it applied (those it skipped as already applied left out).
BatchHandler = Callable[[AsyncConnection, list[Envelope]], Awaitable[list[Envelope]]]


class BatchEventConsumer(EventConsumer):
    """An `EventConsumer` that applies each fetched batch in one transaction: the batch's new
    event ids are marked processed (with a `processed` table), `batch_handler` gets their
    envelopes in stream order, and all are acked after the commit. For a consumer whose cost is
    the commit per event (the audit chain, at hundreds of events per second). A batch that
    fails is applied again one event at a time, so that one bad event holds up only itself.

    `gather_s`: after a batch smaller than a full fetch, wait this long before the next one, so
    that the events of a busy second share a transaction rather than paying one each; it adds
    at most that much to an event's delivery time."""

    def __init__(
        self, *, batch_handler: BatchHandler, gather_s: float = 0.0, **kwargs: Any
    ) -> None:
        async def one(conn: AsyncConnection, envelope: Envelope) -> bool:
            return bool(await batch_handler(conn, [envelope]))

        super().__init__(handler=one, **kwargs)
        self._batch_handler = batch_handler
        self._gather_s = gather_s

    async def _handle_all(self, messages: list[Msg]) -> None:
        await self._apply_batch(messages)
        if len(messages) < _FETCH_BATCH:
            await asyncio.sleep(self._gather_s)

    async def _apply_batch(self, messages: list[Msg]) -> None:
        decoded: list[tuple[Msg, Envelope]] = []
        for message in messages:
            envelope = Envelope()
            try:
                envelope.ParseFromString(message.data)
            except Exception:  # noqa: BLE001 - the single path drops it, with its log line
                await self._handle(message)
                continue
            decoded.append((message, envelope))
        if not decoded:
            return
        try:
            async with self._engine.begin() as conn:
                fresh = await self._first_deliveries(conn, [envelope for _, envelope in decoded])
                applied = await self._batch_handler(conn, fresh) if fresh else []
        except Exception:  # noqa: BLE001 - retried one by one, each acked or naked on its own
            log.warning("event batch failed, applying it event by event", consumer=self._name)
            for message, _ in decoded:
                await self._handle(message)
            return
        reachability.POSTGRES_UP.set(1)
        now = time.time()
        for message, envelope in decoded:
            await message.ack()
            EVENT_DELIVERY_SECONDS.labels(self._name).observe(
                max(0.0, now - envelope.occurred_at.ToSeconds())
            )
        if self._on_applied is not None:
            for envelope in applied:
                self._on_applied(envelope)
        EVENTS_CONSUMED.labels(self._name, "handled").inc(len(applied))
        EVENTS_CONSUMED.labels(self._name, "duplicate").inc(len(decoded) - len(applied))

    async def _first_deliveries(
        self, conn: AsyncConnection, envelopes: list[Envelope]
    ) -> list[Envelope]:
        """The batch without envelopes applied before, and each envelope once."""
        if self._processed is None:
            return list({envelope.id: envelope for envelope in envelopes}.values())
        ids = list(dict.fromkeys(envelope.id for envelope in envelopes))
        inserted = await conn.execute(
            insert(self._processed)
            .values([{"event_id": event_id} for event_id in ids])
            .on_conflict_do_nothing()
            .returning(self._processed.c.event_id)
        )
        new = set(inserted.scalars())
        fresh: list[Envelope] = []
        for envelope in envelopes:
            if envelope.id in new:
                fresh.append(envelope)
                new.discard(envelope.id)  # a copy twice in one batch is applied once
        return fresh
