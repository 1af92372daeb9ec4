"""The live audit feed's source in each gateway process: one ordered JetStream consumer on every
`auth.>` event, delivering only new ones, fanned out to the WebSocket connections listening,
each through its own filter and its own bounded queue.

A connection that reads too slowly to keep its queue below `QUEUE_SIZE` is told so and closed
(it may reconnect), so one slow client never holds up the others or grows memory. While NATS is
away the feed pauses; connections stay open and receive events again once it is back (events
published meanwhile are not replayed: the feed is live, the audit log is the record). The
subscription and its watch over the link are the kit's live events
(authmesh_kit.events.live_events).
"""

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from authmesh_gateway.feed.documents import envelope_json
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.live_events import LiveEvents
from authmesh_kit.events.names import AUTH_EVENTS, auth_subjects, stream_name
from authmesh_kit.events.nats_link import NatsLink

QUEUE_SIZE = 1000
# Connections one process serves at most: each holds a queue, so the total memory is bounded.
MAX_LISTENERS = 10_000

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
        self._listeners: set[Listener] = set()
        self._ready = asyncio.Event()
        self._events = LiveEvents(
            nats,
            stream=stream_name(namespace, AUTH_EVENTS),
            subjects=[auth_subjects(namespace)],
            on_event=self.publish,
            on_trust=self._on_trust,
            name="audit-feed",
        )

    def _on_trust(self, subscribed: bool) -> None:
        if subscribed:
            self._ready.set()
        else:
            self._ready.clear()

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
        await self._events.run()

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
