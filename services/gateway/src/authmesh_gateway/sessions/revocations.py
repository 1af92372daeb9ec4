"""Pushes revocations into the session cache: an ordered JetStream consumer in every gateway
process, delivering only new events. The cache is usable only while this subscription is live."""

import asyncio
import time

import structlog
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from prometheus_client import Histogram

from authmesh.session.v1 import session_pb2
from authmesh_gateway.sessions.cache import SessionCache
from authmesh_kit.events.catalogue import SESSION_REVOKED
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


class RevocationListener:
    def __init__(self, nats: NatsLink, cache: SessionCache, namespace: str) -> None:
        self._nats = nats
        self._cache = cache
        self._namespace = namespace
        self._subscribed = False
        nats.on_disconnect(self._distrust)
        nats.on_reconnect(self._trust_again)

    def _distrust(self) -> None:
        # Revocations published while we are away would be missed: forget every entry and
        # bypass the cache until NATS is back.
        self._cache.usable = False
        self._cache.clear()

    def _trust_again(self) -> None:
        # The ordered consumer resumes after the last sequence it saw, and every entry cached
        # from now on is read after the revocations it may still deliver: safe to cache again.
        self._cache.clear()
        self._cache.usable = self._subscribed

    async def run(self) -> None:
        while True:
            try:
                js = await self._nats.jetstream()
                await js.subscribe(
                    event_subject(self._namespace, SESSION_REVOKED.type),
                    stream=stream_name(self._namespace, AUTH_EVENTS),
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.NEW,
                    cb=self._on_message,
                )
                self._subscribed = True
                self._cache.clear()
                self._cache.usable = True
                log.info("revocation listener subscribed")
                return
            except Exception as exc:  # noqa: BLE001 - stream missing or NATS away: retry
                log.warning("revocation subscribe failed", error=str(exc) or repr(exc))
                await asyncio.sleep(_SUBSCRIBE_RETRY_S)

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
