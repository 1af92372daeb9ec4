"""The requests the gateway refuses itself become audit events (ASVS 16.3.2 and 16.3.3: failed
authorization, anti-automation, origin and input rejections): `auth.gateway.request.refused.v1`
for each 400, 403 and 429 it answers.

The gateway has no database, so there is no outbox: events go straight to JetStream from a
bounded queue, at most once, and a refusal never waits for NATS. A flood must not become a flood
of audit entries: a client address, route and status report once per `_QUIET_S` in each
replica, and what the queue cannot hold is dropped.
"""

import asyncio
import json
import re
import time
from collections.abc import Callable, Iterable

import structlog
from fastapi import APIRouter
from starlette.routing import compile_path
from starlette.types import Scope

from authmesh.events.v1 import envelope_pb2
from authmesh.gateway.v1 import events_pb2
from authmesh_gateway.http_io import MAX_USER_AGENT
from authmesh_kit.events.catalogue import REQUEST_REFUSED
from authmesh_kit.events.envelope import build_envelope
from authmesh_kit.events.names import event_subject
from authmesh_kit.events.nats_link import NatsLink

log = structlog.get_logger(__name__)

REPORTED_STATUSES = frozenset({400, 403, 429})
_QUIET_S = 10.0
_MAX_REMEMBERED = 10_000
_QUEUE_SIZE = 1_000
_PUBLISH_TIMEOUT_S = 2.0


def error_code(body: bytes) -> str:
    """Better-Auth's `code` of an error body, "" for a body without one."""
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    code = answer.get("code") if isinstance(answer, dict) else None
    return code if isinstance(code, str) else ""


class RouteTemplates:
    """The template of the route a request's path names ("/api/auth/reset-password/{token}"),
    "" for none: what a refusal reports instead of the path as sent, which may carry a token.
    Worked out from the routers themselves, for requests refused before any routing too."""

    def __init__(self, mounted: Iterable[tuple[str, APIRouter]]) -> None:
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        for prefix, router in mounted:
            for route in router.routes:
                template = prefix + str(getattr(route, "path", ""))
                self._patterns.append((compile_path(template)[0], template))

    def of(self, scope: Scope) -> str:
        path = scope["path"]
        return next((template for regex, template in self._patterns if regex.match(path)), "")


class RefusalReporter:
    def __init__(self, namespace: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._subject = event_subject(namespace, REQUEST_REFUSED.type)
        self._clock = clock
        self._last: dict[tuple[str, str, int], float] = {}
        self._queue: asyncio.Queue[envelope_pb2.Envelope] = asyncio.Queue(_QUEUE_SIZE)

    def due(self, ip: str, bucket: str, status: int) -> bool:
        """Whether a refusal of `status` to `ip` on `bucket` (its path) is reported: the first
        in `_QUIET_S`. Counts it as reported."""
        now = self._clock()
        key = (ip, bucket, status)
        if now - self._last.get(key, -_QUIET_S) < _QUIET_S:
            return False
        if len(self._last) >= _MAX_REMEMBERED:
            self._last.clear()  # at worst a few more events, never unbounded memory
        self._last[key] = now
        return True

    def report(
        self, *, ip: str, user_agent: str, method: str, route: str, status: int, code: str
    ) -> None:
        envelope = build_envelope(
            REQUEST_REFUSED,
            events_pb2.RequestRefused(method=method, route=route, status=status, code=code),
            actor=envelope_pb2.Actor(
                kind=envelope_pb2.ACTOR_KIND_USER, ip=ip, user_agent=user_agent[:MAX_USER_AGENT]
            ),
        )
        try:
            self._queue.put_nowait(envelope)
        except asyncio.QueueFull:
            log.warning("refusal event dropped: queue full", route=route, status=status)

    async def run(self, nats: NatsLink) -> None:
        """Publishes the queued events for as long as the process runs."""
        while True:
            envelope = await self._queue.get()
            try:
                js = await nats.jetstream()
                await js.publish(
                    self._subject,
                    envelope.SerializeToString(),
                    timeout=_PUBLISH_TIMEOUT_S,
                    headers={"Nats-Msg-Id": envelope.id},
                )
            except Exception as exc:  # noqa: BLE001 - NATS away: this event is lost, not the next
                log.warning("refusal event not published", error=str(exc) or type(exc).__name__)
