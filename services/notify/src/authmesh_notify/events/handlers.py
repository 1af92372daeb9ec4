"""The NOTIFY work queue's consumer (DESIGN §3): one durable pull consumer that every notify
replica shares, so each message goes to one of them.

Notify has no database, so this is not the kit's idempotent `EventConsumer`: a message is acked
once its channel accepted it, retried later with a growing delay (`nak(delay)`, RetryPolicy)
when the channel is away, and terminated after a dead letter when it can never go out — refused,
undecryptable, expired, or out of tries. A message whose secret has expired is never delivered.
While the SMTP server is down, messages wait in the stream; nothing is lost, and a message
accepted once is not sent again by this replica even if its ack was lost.
"""

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import structlog
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from authmesh_kit.crypto.key_ring import KeyRing, UndecryptableError
from authmesh_kit.events.names import NOTIFY, durable_name, stream_name
from authmesh_kit.events.nats_link import NatsLink
from authmesh_kit.events.notifications import EMAIL, SMS, open_message
from authmesh_notify.domain.addresses import email_domain
from authmesh_notify.domain.deliver import Deliverer
from authmesh_notify.domain.errors import DeliveryError, PermanentDeliveryError
from authmesh_notify.domain.model import Channel, Notification
from authmesh_notify.domain.retry import RetryPolicy
from authmesh_notify.events.dead_letters import DeadLetter, DeadLetters
from authmesh_notify.metrics import DEAD_LETTERED, DELIVERED, FAILED, type_label

log = structlog.get_logger(__name__)

CONSUMER = "notify"
_CHANNELS = {EMAIL: Channel.EMAIL, SMS: Channel.SMS}
_RETRY_AFTER_ERROR_S = 5.0
_PAUSE_S = 2.0
_FETCH_TIMEOUT_S = 1.0
# Ids of messages accepted by their channel, kept until they expire, to ack a redelivery
# (an ack lost on the way) without sending it again.
_MAX_REMEMBERED = 10_000
# Deliveries beyond the policy's tries: redeliveries after a crash or a lost dead letter.
_SPARE_DELIVERIES = 3


def filter_subjects(namespace: str) -> list[str]:
    """Messages to deliver; `<namespace>.notify.dead.>` (dead letters) is left out."""
    return [f"{namespace}.notify.email.>", f"{namespace}.notify.sms.>"]


class Queued(Protocol):
    """One message from the queue, as the handler sees it (JetStreamQueued in production)."""

    @property
    def subject(self) -> str: ...

    @property
    def data(self) -> bytes: ...

    @property
    def message_id(self) -> str: ...

    @property
    def tries(self) -> int: ...

    async def ack(self) -> None: ...

    async def retry(self, delay_s: float) -> None: ...

    async def drop(self) -> None: ...


class JetStreamQueued:
    def __init__(self, message: Msg) -> None:
        self._message = message

    @property
    def subject(self) -> str:
        return self._message.subject

    @property
    def data(self) -> bytes:
        return self._message.data

    @property
    def message_id(self) -> str:
        return (self._message.headers or {}).get("Nats-Msg-Id", "")

    @property
    def tries(self) -> int:
        return self._message.metadata.num_delivered

    async def ack(self) -> None:
        await self._message.ack()

    async def retry(self, delay_s: float) -> None:
        await self._message.nak(delay=delay_s)

    async def drop(self) -> None:
        await self._message.term()  # removes it from the work queue


def open_notification(key_ring: KeyRing, data: bytes) -> Notification:
    """Raises UndecryptableError, DecodeError or ValueError for anything unusable."""
    message = open_message(key_ring, data)
    channel = _CHANNELS.get(message.channel)
    if channel is None:
        raise ValueError("message without a channel")
    return Notification(
        id=message.id,
        type=message.type,
        channel=channel,
        to=message.to,
        expires_at=message.expires_at.ToDatetime(tzinfo=UTC),
        fields=dict(message.fields),
        locale=message.locale,
    )


def _subject_parts(subject: str) -> tuple[str, str]:
    """(channel, type) of `<namespace>.notify.<channel>.<type>`, for messages we cannot open."""
    tokens = subject.split(".")
    return (tokens[2], tokens[3]) if len(tokens) == 4 else ("unknown", "unknown")


class NotifyHandler:
    """Decides each message's fate; never raises, so that one message cannot stop the queue."""

    def __init__(
        self,
        *,
        key_ring: KeyRing,
        deliverer: Deliverer,
        dead_letters: DeadLetters,
        policy: RetryPolicy,
        clock: Callable[[], datetime],
    ) -> None:
        self._key_ring = key_ring
        self._deliverer = deliverer
        self._dead_letters = dead_letters
        self._policy = policy
        self._clock = clock
        self._delivered: OrderedDict[str, datetime] = OrderedDict()

    async def handle(self, queued: Queued) -> str:
        """The outcome, for tests and logs: delivered, duplicate, retry or dead."""
        try:
            notification = open_notification(self._key_ring, queued.data)
        except (UndecryptableError, DecodeError, ValueError):
            channel, type_ = _subject_parts(queued.subject)
            record = DeadLetter(
                queued.message_id, type_, channel, "", "UNDECRYPTABLE", queued.tries
            )
            return await self._give_up(queued, record)
        if notification.expires_at <= self._clock():
            return await self._give_up(queued, self._record(notification, queued, "EXPIRED"))
        if notification.id in self._delivered:
            await queued.ack()
            return "duplicate"
        labels = (type_label(notification.type), notification.channel.value)
        try:
            await self._deliverer.deliver(notification)
        except PermanentDeliveryError as exc:
            log.warning("message refused", id=notification.id, reason=exc.reason, detail=str(exc))
            return await self._give_up(queued, self._record(notification, queued, exc.reason))
        except Exception as exc:  # the channel away, or a bug: try again later
            if isinstance(exc, DeliveryError):
                reason, detail = exc.reason, str(exc)
            else:
                log.exception("delivery crashed", id=notification.id)
                reason, detail = "INTERNAL", type(exc).__name__
            FAILED.labels(*labels, reason).inc()
            return await self._retry(queued, notification, reason, detail)
        self._remember(notification)
        DELIVERED.labels(*labels).inc()
        log.info("delivered", id=notification.id, type=notification.type, tries=queued.tries)
        await queued.ack()
        return "delivered"

    async def _retry(
        self, queued: Queued, notification: Notification, reason: str, detail: str
    ) -> str:
        delay = self._policy.next_delay(
            queued.tries, now=self._clock(), expires_at=notification.expires_at
        )
        if delay is None:
            out_of_tries = queued.tries >= self._policy.max_tries
            final = "RETRIES_EXHAUSTED" if out_of_tries else "EXPIRED"
            return await self._give_up(queued, self._record(notification, queued, final))
        log.warning(
            "delivery failed; will retry",
            id=notification.id,
            type=notification.type,
            reason=reason,
            detail=detail,
            tries=queued.tries,
            retry_in_s=delay,
        )
        await queued.retry(delay)
        return "retry"

    def _record(self, notification: Notification, queued: Queued, reason: str) -> DeadLetter:
        domain = email_domain(notification.to) if notification.channel is Channel.EMAIL else ""
        return DeadLetter(
            id=notification.id,
            type=notification.type,
            channel=notification.channel.value,
            recipient_domain=domain,
            reason=reason,
            tries=queued.tries,
        )

    async def _give_up(self, queued: Queued, record: DeadLetter) -> str:
        try:
            await self._dead_letters.publish(record)
        except Exception as exc:  # noqa: BLE001 - NATS away: keep the message, try again later
            log.warning("dead letter not stored", id=record.id, error=type(exc).__name__)
            await queued.retry(_RETRY_AFTER_ERROR_S)
            return "retry"
        DEAD_LETTERED.labels(type_label(record.type), record.channel, record.reason).inc()
        log.warning(
            "dead-lettered",
            id=record.id,
            type=record.type,
            channel=record.channel,
            reason=record.reason,
            tries=record.tries,
        )
        await queued.drop()
        return "dead"

    def _remember(self, notification: Notification) -> None:
        now = self._clock()
        while self._delivered:
            oldest_id, expires_at = next(iter(self._delivered.items()))
            if expires_at > now and len(self._delivered) < _MAX_REMEMBERED:
                break
            del self._delivered[oldest_id]
        self._delivered[notification.id] = notification.expires_at


class NotifyConsumer:
    """Pulls from the NOTIFY stream and hands messages to the handler, a batch at a time."""

    def __init__(
        self,
        *,
        namespace: str,
        nats: NatsLink,
        handler: NotifyHandler,
        policy: RetryPolicy,
        ack_wait_s: float,
        concurrency: int,
    ) -> None:
        self._namespace = namespace
        self._nats = nats
        self._handler = handler
        self._stream = stream_name(namespace, NOTIFY)
        self._durable = durable_name(namespace, CONSUMER)
        self._config = ConsumerConfig(
            name=self._durable,
            durable_name=self._durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ack_wait_s,
            max_deliver=policy.max_tries + _SPARE_DELIVERIES,
            filter_subjects=filter_subjects(namespace),
            max_ack_pending=1000,
        )
        self._concurrency = concurrency

    async def run(self) -> None:
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - NATS away or stream missing: retry
                log.warning("notify consumer paused", error=str(exc) or repr(exc))
                await asyncio.sleep(_PAUSE_S)

    async def _consume(self) -> None:
        js = await self._nats.jetstream()
        # Creates the consumer, or updates it in place when this version changed its settings.
        await js.add_consumer(self._stream, self._config)
        subscription = await js.pull_subscribe_bind(durable=self._durable, stream=self._stream)
        log.info("notify consumer ready", stream=self._stream, consumer=self._durable)
        try:
            while True:
                try:
                    messages = await subscription.fetch(self._concurrency, _FETCH_TIMEOUT_S)
                except TimeoutError:  # nats-py raises its own subclass, and sometimes asyncio's
                    continue
                await asyncio.gather(*(self._handle(message) for message in messages))
        finally:
            # As in the kit's EventConsumer: draining a fetched-from subscription never ends.
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _handle(self, message: Msg) -> None:
        try:
            await self._handler.handle(JetStreamQueued(message))
        except Exception:  # an ack that could not be sent: the message comes back
            log.exception("notify message not settled", subject=message.subject)
