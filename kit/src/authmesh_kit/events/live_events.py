"""Live events for in-process caches: ordered, ephemeral JetStream consumers in each replica
that deliver only events published from now on, and a verdict on whether a cache fed by them
may be trusted.

A cache is only as fresh as its invalidations: it may be used only while the consumers are
subscribed over a link that answers. A lost link is either reported by the client (the
connection closed) or silent (a partition: the client notices only at its next ping, minutes
later), so a ping of our own goes out every `PROBE_INTERVAL_S`; one unanswered for
`PROBE_TIMEOUT_S`, or a reported disconnect, ends trust within a second. Trust comes back only
with new subscriptions, after the cache was cleared: events of the gap are never replayed.

Used by the org service's permission cache and the gateway's session cache
(authmesh_gateway/sessions/revocations.py).
"""

import asyncio
import contextlib
from collections.abc import Callable, Sequence

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.client import JetStreamContext

from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.nats_link import NatsLink

log = structlog.get_logger(__name__)

SUBSCRIBE_RETRY_S = 1.0
PROBE_INTERVAL_S = 0.25
PROBE_TIMEOUT_S = 0.5
_NEVER_S = 10**9
_UNSUBSCRIBE_TIMEOUT_S = 1.0


class LiveEvents:
    """Calls `on_event` with each new event on `subjects` (of `stream`), and `on_trust(False)`
    when events may have been missed, `on_trust(True)` once subscribed anew; the cache clears
    itself on both."""

    def __init__(
        self,
        nats: NatsLink,
        *,
        stream: str,
        subjects: Sequence[str],
        on_event: Callable[[Envelope], None],
        on_trust: Callable[[bool], None],
        name: str,
    ) -> None:
        self._nats = nats
        self._stream = stream
        self._subjects = list(subjects)
        self._on_event = on_event
        self._on_trust = on_trust
        self._name = name
        self._subscriptions: list[JetStreamContext.PushSubscription] = []
        self._lost = asyncio.Event()  # the link failed since the current subscriptions began
        self._reconnected = asyncio.Event()
        self._probe: asyncio.Future[None] | None = None  # the last ping sent
        nats.on_disconnect(self._distrust)
        nats.on_reconnect(self._on_reconnect)

    def _distrust(self) -> None:
        self._on_trust(False)
        self._lost.set()

    async def run(self) -> None:
        """Subscribes, trusts while the link answers, and starts over when it fails."""
        while True:
            await self._subscribe()
            await self._watch()
            self._distrust()
            log.warning("nats link lost: cache bypassed until subscribed again", cache=self._name)
            await self._unsubscribe()

    async def _subscribe(self) -> None:
        while True:
            self._lost.clear()
            self._reconnected.clear()
            try:
                js = await self._nats.jetstream()
                for subject in self._subjects:
                    self._subscriptions.append(
                        await js.subscribe(
                            subject,
                            stream=self._stream,
                            ordered_consumer=True,
                            deliver_policy=DeliverPolicy.NEW,
                            cb=self._on_message,
                        )
                    )
            except Exception as exc:  # noqa: BLE001 - stream missing or NATS away: retry
                log.warning("live events subscribe failed", cache=self._name, error=repr(exc))
                await self._unsubscribe()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._reconnected.wait(), SUBSCRIBE_RETRY_S)
                continue
            # Whatever was cached before now may predate an event these consumers will not
            # deliver: only what is read from now on may be kept.
            self._on_trust(not self._lost.is_set())
            log.info("live events subscribed", cache=self._name)
            return

    async def _watch(self) -> None:
        """Returns once the link failed: reported by the client, or a ping went unanswered."""
        client = await self._nats.connected()
        while True:
            try:
                await asyncio.wait_for(self._lost.wait(), PROBE_INTERVAL_S)
                return  # the client reported it
            except TimeoutError:
                pass
            if not await self._link_answers(client):
                return

    async def _link_answers(self, client: Client) -> bool:
        # nats-py's own flush timeout cancels the PONG future but leaves it queued, and the
        # late PONG then stops the client's reader for good. So a probe is never cancelled
        # here: a late one is awaited again by the next check, until a PONG answers it or a
        # reconnect drops it (`_on_reconnect`).
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(client.flush(timeout=_NEVER_S))
        done, _ = await asyncio.wait({self._probe}, timeout=PROBE_TIMEOUT_S)
        if not done:
            log.warning("nats ping unanswered", cache=self._name)
            return False
        return not self._probe.cancelled() and self._probe.exception() is None

    def _on_reconnect(self) -> None:
        # The client dropped its PONG futures with the old connection: a probe still waiting
        # can never finish, and cancelling it is safe now.
        if self._probe is not None:
            self._probe.cancel()
            self._probe = None
        self._reconnected.set()

    async def _unsubscribe(self) -> None:
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(subscription.unsubscribe(), _UNSUBSCRIBE_TIMEOUT_S)

    async def _on_message(self, message: Msg) -> None:
        envelope = Envelope()
        try:
            envelope.ParseFromString(message.data)
        except Exception:  # noqa: BLE001 - not ours to fix
            # Whatever it invalidated is unknown: the cache starts over, still trusted.
            log.error("undecodable live event", cache=self._name, subject=message.subject)
            self._on_trust(not self._lost.is_set())
            return
        self._on_event(envelope)
