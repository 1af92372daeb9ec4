"""The live audit feed's source in each gateway process: one ordered JetStream consumer on every
`auth.>` event, delivering only new ones, fanned out to the WebSocket connections listening,
each through its own filter and its own bounded queue.

A connection that reads too slowly to keep its queue below `QUEUE_SIZE` is told so and closed
(it may reconnect), so one slow client never holds up the others or grows memory. While NATS is
away the feed pauses; connections stay open and receive events again once it is back (events
published meanwhile are not replayed: the feed is live, the audit log is the record).
"""

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.client import JetStreamContext

from authmesh_gateway.feed.documents import envelope_json
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.names import AUTH_EVENTS, auth_subjects, stream_name
from authmesh_kit.events.nats_link import NatsLink

log = structlog.get_logger(__name__)

QUEUE_SIZE = 1000
# Connections one process serves at most: each holds a queue, so the total memory is bounded.
MAX_LISTENERS = 10_000
_RETRY_S = 1.0
_UNSUBSCRIBE_TIMEOUT_S = 1.0

Accept = Callable[[Envelope], bool]


@dataclass(eq=False)
class Listener:
    """One connection's view of the feed: the JSON messages its filter accepted, in order."""

    accept: Accept
    # Events after which this connection may no longer listen (its session revoked, its user
    # banned or deleted): the connection is closed.
    ends: Accept
    messages: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class FeedHub:
    def __init__(self, nats: NatsLink, namespace: str) -> None:
        self._nats = nats
        self._namespace = namespace
        self._listeners: set[Listener] = set()
        self._subscription: JetStreamContext.PushSubscription | None = None
        self._lost = asyncio.Event()
        self._ready = asyncio.Event()
        nats.on_disconnect(self._on_disconnect)

    def _on_disconnect(self) -> None:
        self._ready.clear()
        self._lost.set()

    async def ready(self, timeout_s: float) -> bool:
        """Whether the feed is subscribed (waiting up to `timeout_s` for it)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout_s)
        return self._ready.is_set()

    def listen(self, accept: Accept, ends: Accept) -> Listener | None:
        """A new listener; None when this process serves `MAX_LISTENERS` already."""
        if len(self._listeners) >= MAX_LISTENERS:
            return None
        listener = Listener(accept, ends)
        self._listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    async def run(self) -> None:
        """Subscribes, and subscribes again after every loss of the NATS link."""
        while True:
            self._lost.clear()
            try:
                js = await self._nats.jetstream()
                self._subscription = await js.subscribe(
                    auth_subjects(self._namespace),
                    stream=stream_name(self._namespace, AUTH_EVENTS),
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.NEW,
                    cb=self._on_message,
                )
            except Exception as exc:  # noqa: BLE001 - stream missing or NATS away: retry
                log.warning("audit feed subscribe failed", error=str(exc) or repr(exc))
                await asyncio.sleep(_RETRY_S)
                continue
            self._ready.set()
            await self._lost.wait()
            await self._unsubscribe()

    async def _unsubscribe(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(subscription.unsubscribe(), _UNSUBSCRIBE_TIMEOUT_S)

    async def _on_message(self, message: Msg) -> None:
        if not self._listeners:
            return
        envelope = Envelope()
        try:
            envelope.ParseFromString(message.data)
        except Exception:  # noqa: BLE001 - not ours to fix; audit records what it can
            log.error("undecodable event in the audit feed", subject=message.subject)
            return
        self.publish(envelope)

    def publish(self, envelope: Envelope) -> None:
        """Hands `envelope` to every listener that accepts it."""
        encoded: bytes | None = None
        for listener in list(self._listeners):
            if listener.ends(envelope):
                listener.ended.set()
                self.leave(listener)
                continue
            if not listener.accept(envelope):
                continue
            if encoded is None:
                encoded = json.dumps(envelope_json(envelope), separators=(",", ":")).encode()
            try:
                listener.messages.put_nowait(encoded)
            except asyncio.QueueFull:
                listener.overflowed.set()
                self.leave(listener)
