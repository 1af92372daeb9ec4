"""Pushes revocations into the session cache: ordered JetStream consumers in every gateway
process, delivering only new events. The cache is usable only while they are subscribed over a
link that answers.

Session revocations and updates (a new active organization or team) evict one session by its
token hash; changes to a user that cached answers show (an update, a verified or changed
address, a new password, a deletion, a ban) evict every session of that user, so that no
replica serves a stale user for the cache's lifetime.

A lost link is either reported by the client (the connection closed) or silent (packets go
nowhere, as in a network partition: the client would notice only at its next ping, minutes
later). So the listener also sends its own ping every `_PROBE_INTERVAL_S`: once one goes
unanswered for `_PROBE_TIMEOUT_S`, or the client reports a disconnect, the cache is cleared and
bypassed, within a second of the loss. Trust comes back only with new subscriptions: consumers
nobody listened to are deleted by the server after a few seconds, so those of before the loss
may be gone, and a cleared cache needs no event from before the new ones.
"""

import asyncio
import contextlib
import time

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.client import JetStreamContext
from prometheus_client import Histogram

from authmesh.session.v1 import session_pb2
from authmesh_gateway.sessions.cache import SessionCache
from authmesh_kit.events.catalogue import (
    EMAIL_CHANGED,
    EMAIL_VERIFIED,
    PASSWORD_CHANGED,
    SESSION_REVOKED,
    SESSION_UPDATED,
    USER_BANNED,
    USER_DELETED,
    USER_UPDATED,
)
from authmesh_kit.events.envelope import Envelope, unpack
from authmesh_kit.events.names import AUTH_EVENTS, event_subject, stream_name
from authmesh_kit.events.nats_link import NatsLink

log = structlog.get_logger(__name__)

_PROPAGATION = Histogram(
    "authmesh_revocation_propagation_seconds",
    "From a session's revocation to its eviction from this gateway's cache",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

_SUBSCRIBE_RETRY_S = 1.0
_PROBE_INTERVAL_S = 0.25
_PROBE_TIMEOUT_S = 0.5
_NEVER_S = 10**9
_UNSUBSCRIBE_TIMEOUT_S = 1.0
# Identity events after which a user's cached get-session answers are stale.
USER_CHANGES = (
    USER_UPDATED,
    EMAIL_VERIFIED,
    PASSWORD_CHANGED,
    EMAIL_CHANGED,
    USER_DELETED,
    USER_BANNED,
)


class RevocationListener:
    def __init__(self, nats: NatsLink, cache: SessionCache, namespace: str) -> None:
        self._nats = nats
        self._cache = cache
        self._namespace = namespace
        self._subscriptions: list[JetStreamContext.PushSubscription] = []
        self._lost = asyncio.Event()  # the link failed since the current subscriptions began
        self._reconnected = asyncio.Event()
        self._probe: asyncio.Future[None] | None = None  # the last ping sent
        nats.on_disconnect(self._distrust)
        nats.on_reconnect(self._on_reconnect)

    def _distrust(self) -> None:
        # Revocations published while we are away would be missed: forget every entry and
        # bypass the cache until we are subscribed again.
        self._cache.usable = False
        self._cache.clear()
        self._lost.set()

    async def run(self) -> None:
        """Subscribes, trusts the cache while the link answers, and starts over when it fails."""
        while True:
            await self._subscribe()
            await self._watch()
            self._distrust()
            log.warning("nats link lost: session cache bypassed until subscribed again")
            await self._unsubscribe()

    async def _subscribe(self) -> None:
        while True:
            self._lost.clear()
            self._reconnected.clear()
            try:
                js = await self._nats.jetstream()
                stream = stream_name(self._namespace, AUTH_EVENTS)
                handlers = [
                    (SESSION_REVOKED, self._on_message),
                    (SESSION_UPDATED, self._on_session_update),
                ]
                handlers += [(event, self._on_user_change) for event in USER_CHANGES]
                for event, handler in handlers:
                    self._subscriptions.append(
                        await js.subscribe(
                            event_subject(self._namespace, event.type),
                            stream=stream,
                            ordered_consumer=True,
                            deliver_policy=DeliverPolicy.NEW,
                            cb=handler,
                        )
                    )
            except Exception as exc:  # noqa: BLE001 - stream missing or NATS away: retry
                log.warning("revocation subscribe failed", error=str(exc) or repr(exc))
                await self._unsubscribe()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._reconnected.wait(), _SUBSCRIBE_RETRY_S)
                continue
            # Whatever was read before now may predate a revocation these consumers will not
            # deliver: only entries read from now on may be cached.
            self._cache.clear()
            self._cache.usable = not self._lost.is_set()
            log.info("revocation listener subscribed")
            return

    async def _watch(self) -> None:
        """Returns once the link failed: reported by the client, or a ping went unanswered."""
        client = await self._nats.connected()
        while True:
            try:
                await asyncio.wait_for(self._lost.wait(), _PROBE_INTERVAL_S)
                return  # the client reported it
            except TimeoutError:
                pass
            if not await self._link_answers(client):
                return

    async def _link_answers(self, client: Client) -> bool:
        # nats-py's own flush timeout cancels the PONG future but leaves it queued, and the
        # late PONG then stops the client's reader for good (InvalidStateError). So a probe is
        # never cancelled here: one that is late is awaited again by the next check, until a
        # PONG answers it or a reconnect drops it (`_on_reconnect`).
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(client.flush(timeout=_NEVER_S))
        done, _ = await asyncio.wait({self._probe}, timeout=_PROBE_TIMEOUT_S)
        if not done:
            log.warning("nats ping unanswered")
            return False
        return not self._probe.cancelled() and self._probe.exception() is None

    def _on_reconnect(self) -> None:
        # The client dropped its queue of PONG futures with the old connection: a probe still
        # waiting can never finish, and cancelling it is safe now.
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
            revoked = unpack(envelope, SESSION_REVOKED)
        except Exception:  # noqa: BLE001 - not ours to fix; the TTL bounds any miss
            log.error("undecodable revocation", subject=message.subject)
            return
        assert isinstance(revoked, session_pb2.SessionRevoked)
        self._cache.evict(bytes.fromhex(revoked.token_hash))
        _PROPAGATION.observe(max(0.0, time.time() - envelope.occurred_at.ToMilliseconds() / 1000))

    async def _on_session_update(self, message: Msg) -> None:
        """A changed active organization or team: the cached answer shows the old one."""
        envelope = Envelope()
        try:
            envelope.ParseFromString(message.data)
            updated = unpack(envelope, SESSION_UPDATED)
        except Exception:  # noqa: BLE001 - not ours to fix; the TTL bounds any miss
            log.error("undecodable session update", subject=message.subject)
            return
        assert isinstance(updated, session_pb2.SessionUpdated)
        self._cache.evict(bytes.fromhex(updated.token_hash))

    async def _on_user_change(self, message: Msg) -> None:
        envelope = Envelope()
        try:
            envelope.ParseFromString(message.data)
        except Exception:  # noqa: BLE001 - not ours to fix; the TTL bounds any miss
            log.error("undecodable user event", subject=message.subject)
            return
        if envelope.subject.user_id:
            self._cache.evict_user(envelope.subject.user_id)
