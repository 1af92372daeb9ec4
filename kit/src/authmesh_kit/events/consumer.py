"""A durable, explicitly acking, idempotent JetStream consumer.

The handler runs in a database transaction together with the insert of the event id into the
service's `processed_events` table: an event delivered twice is applied once, and it is acked
only after that transaction committed. A failing handler gets the message redelivered later.
`BatchEventConsumer` does the same for each fetched batch in one transaction.
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

Handler = Callable[[AsyncConnection, Envelope], Awaitable[None]]
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
        processed: Table,
        handler: Handler,
        on_applied: Applied | None = None,
    ) -> None:
        """`on_applied` sees each event the handler applied, after its transaction committed
        (never one rolled back, nor a duplicate): where exact counts are kept."""
        self._name = name
        self._durable = durable_name(namespace, name)
        self._stream = stream
        self._filter = filter_subject
        self._nats = nats
        self._engine = engine
        self._processed = processed
        # Built once: building a statement and its cache key costs more than running it.
        self._mark_processed = (
            insert(processed)
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
                    inserted = await conn.execute(self._mark_processed, {"event_id": envelope.id})
                    if inserted.first() is not None:
                        await self._handler(conn, envelope)
                        result = "handled"
                    else:
                        result = "duplicate"
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


BatchHandler = Callable[[AsyncConnection, list[Envelope]], Awaitable[None]]


class BatchEventConsumer(EventConsumer):
    """An `EventConsumer` that applies each fetched batch in one transaction: the batch's new
    event ids are marked processed, `batch_handler` gets their envelopes in stream order, and
    all are acked after the commit. For a consumer whose cost is the commit per event (the
    audit chain, at hundreds of events per second). A batch that fails is applied again one
    event at a time, so that one bad event holds up only itself."""

    def __init__(self, *, batch_handler: BatchHandler, **kwargs: Any) -> None:
        async def one(conn: AsyncConnection, envelope: Envelope) -> None:
            await batch_handler(conn, [envelope])

        super().__init__(handler=one, **kwargs)
        self._batch_handler = batch_handler

    async def _handle_all(self, messages: list[Msg]) -> None:
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
                ids = list(dict.fromkeys(envelope.id for _, envelope in decoded))
                inserted = await conn.execute(
                    insert(self._processed)
                    .values([{"event_id": event_id} for event_id in ids])
                    .on_conflict_do_nothing()
                    .returning(self._processed.c.event_id)
                )
                new = set(inserted.scalars())
                fresh: list[Envelope] = []
                for _, envelope in decoded:
                    if envelope.id in new:
                        fresh.append(envelope)
                        new.discard(envelope.id)  # a copy twice in one batch is applied once
                if fresh:
                    await self._batch_handler(conn, fresh)
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
            for envelope in fresh:
                self._on_applied(envelope)
        EVENTS_CONSUMED.labels(self._name, "handled").inc(len(fresh))
        EVENTS_CONSUMED.labels(self._name, "duplicate").inc(len(decoded) - len(fresh))
