"""Pushes revocations into the session cache: ordered JetStream consumers in every gateway
process, delivering only new events. The cache is usable only while they are subscribed.

Session revocations evict one session by its token hash; changes to a user that cached answers
show (an update, a verified or changed address, a new password, a deletion) evict every session
of that user, so that no replica serves a stale user for the cache's lifetime."""

import asyncio
import contextlib
import time

import structlog
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from prometheus_client import Histogram

from authmesh.session.v1 import session_pb2
from authmesh_gateway.sessions.cache import SessionCache
from authmesh_kit.events.catalogue import (
    EMAIL_CHANGED,
    EMAIL_VERIFIED,
    PASSWORD_CHANGED,
    SESSION_REVOKED,
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
# Identity events after which a user's cached get-session answers are stale.
USER_CHANGES = (USER_UPDATED, EMAIL_VERIFIED, PASSWORD_CHANGED, EMAIL_CHANGED, USER_DELETED)


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
                stream = stream_name(self._namespace, AUTH_EVENTS)
                subscriptions = [
                    await js.subscribe(
                        event_subject(self._namespace, SESSION_REVOKED.type),
                        stream=stream,
                        ordered_consumer=True,
                        deliver_policy=DeliverPolicy.NEW,
                        cb=self._on_message,
                    )
                ]
                try:
                    for event in USER_CHANGES:
                        subscriptions.append(
                            await js.subscribe(
                                event_subject(self._namespace, event.type),
                                stream=stream,
                                ordered_consumer=True,
                                deliver_policy=DeliverPolicy.NEW,
                                cb=self._on_user_change,
                            )
                        )
                except Exception:
                    for subscription in subscriptions:
                        with contextlib.suppress(Exception):
                            await subscription.unsubscribe()
                    raise
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

    async def _on_user_change(self, message: Msg) -> None:
        envelope = Envelope()
        try:
            envelope.ParseFromString(message.data)
        except Exception:  # noqa: BLE001 - not ours to fix; the TTL bounds any miss
            log.error("undecodable user event", subject=message.subject)
            return
        if envelope.subject.user_id:
            self._cache.evict_user(envelope.subject.user_id)
