"""Pushes revocations into the session cache, through the kit's live events
(authmesh_kit.events.live_events): ordered JetStream consumers in every gateway process,
delivering only new events. The cache is usable only while they are subscribed over a link
that answers; a lost link clears and bypasses it within a second, and trust comes back only
with new subscriptions.

Session revocations and updates (a new active organization or team) evict one session by its
token hash; changes to a user that cached answers show (an update, a verified or changed
address, a new password, a deletion, a ban) evict every session of that user, so that no
replica serves a stale user for the cache's lifetime.
"""

import time

import structlog
from google.protobuf.message import Message
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
    EventType,
)
from authmesh_kit.events.envelope import Envelope, unpack
from authmesh_kit.events.live_events import LiveEvents
from authmesh_kit.events.names import AUTH_EVENTS, event_subject, stream_name
from authmesh_kit.events.nats_link import NatsLink

log = structlog.get_logger(__name__)

_PROPAGATION = Histogram(
    "authmesh_revocation_propagation_seconds",
    "From a session's revocation to its eviction from this gateway's cache",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

# Identity events after which a user's cached get-session answers are stale.
USER_CHANGES = (
    USER_UPDATED,
    EMAIL_VERIFIED,
    PASSWORD_CHANGED,
    EMAIL_CHANGED,
    USER_DELETED,
    USER_BANNED,
)
_USER_CHANGE_TYPES = frozenset(event.type for event in USER_CHANGES)


class RevocationListener:
    def __init__(self, nats: NatsLink, cache: SessionCache, namespace: str) -> None:
        self._cache = cache
        self._events = LiveEvents(
            nats,
            stream=stream_name(namespace, AUTH_EVENTS),
            subjects=[
                event_subject(namespace, event.type)
                for event in (SESSION_REVOKED, SESSION_UPDATED, *USER_CHANGES)
            ],
            on_event=self._on_event,
            on_trust=self._on_trust,
            name="sessions",
        )

    async def run(self) -> None:
        await self._events.run()

    def _on_trust(self, trusted: bool) -> None:
        # Revocations published while we were away, or before these consumers began, would be
        # missed: forget every entry, and cache again only once subscribed anew.
        self._cache.clear()
        self._cache.usable = trusted

    def _on_event(self, envelope: Envelope) -> None:
        if envelope.type == SESSION_REVOKED.type:
            revoked = _payload(envelope, SESSION_REVOKED)
            if isinstance(revoked, session_pb2.SessionRevoked):
                self._cache.evict(bytes.fromhex(revoked.token_hash))
                seconds = time.time() - envelope.occurred_at.ToMilliseconds() / 1000
                _PROPAGATION.observe(max(0.0, seconds))
        elif envelope.type == SESSION_UPDATED.type:
            # A changed active organization or team: the cached answer shows the old one.
            updated = _payload(envelope, SESSION_UPDATED)
            if isinstance(updated, session_pb2.SessionUpdated):
                self._cache.evict(bytes.fromhex(updated.token_hash))
        elif envelope.type in _USER_CHANGE_TYPES and envelope.subject.user_id:
            self._cache.evict_user(envelope.subject.user_id)


def _payload(envelope: Envelope, event: EventType) -> Message | None:
    try:
        return unpack(envelope, event)
    except Exception:  # noqa: BLE001 - not ours to fix; the TTL bounds any miss
        log.error("undecodable session event", event=event.type, envelope=envelope.id)
        return None
