"""Forwarding every entry to SIEM endpoints: signed POSTs, retries with backoff, dead letters.

Each endpoint has its own task and its own cursor in the database (store/webhooks.py), so an
endpoint that is down delays only its own deliveries, never the recording of entries or the
other endpoints. Entries go in chain order, one request each; a refused or unanswered one is
retried after `backoff_s`, doubled each time (capped at an hour), and after `max_attempts` it is
recorded in `webhook_dead_letters` and the endpoint moves on. Delivery is at least once: a
receiver deduplicates by `eventId` (or `sequence`).
"""

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import structlog

from authmesh_audit.domain.model import ChainedEntry
from authmesh_audit.store.webhooks import PostgresWebhookStore
from authmesh_audit.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = structlog.get_logger(__name__)

_BATCH = 100
_IDLE_S = 0.5
_MAX_BACKOFF_S = 3600.0


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def entry_document(chained: ChainedEntry) -> dict[str, object]:
    """The JSON form of an entry, as the gateway shows it too (WIRE-NOTES §17): no secret in it
    (events carry none)."""
    entry = chained.entry
    return {
        "sequence": chained.sequence,
        "eventId": entry.event_id,
        "type": entry.type,
        "occurredAt": _iso(entry.occurred_at),
        "recordedAt": _iso(chained.recorded_at),
        "producer": entry.producer,
        "actor": {
            "kind": entry.actor_kind,
            "userId": entry.actor_user_id,
            "ip": entry.ip,
            "userAgent": entry.user_agent,
        },
        "userId": entry.user_id,
        "organizationId": entry.organization_id,
        "sessionId": entry.session_id,
        "traceparent": entry.traceparent,
        "payload": json.loads(entry.payload_json),
        "prevHash": chained.prev_hash,
        "hash": chained.hash,
    }


@dataclass(frozen=True)
class WebhookPolicy:
    secret: bytes
    max_attempts: int
    timeout_s: float
    backoff_s: float

    def retry_after(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.backoff_s * 2 ** (attempts - 1), _MAX_BACKOFF_S))


class WebhookDeliverer:
    """Delivers to one URL for as long as `run` runs."""

    def __init__(
        self,
        store: PostgresWebhookStore,
        url: str,
        policy: WebhookPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._url = url
        self._policy = policy
        self._clock = clock

    async def run(self) -> None:
        await self._store.register(self._url)
        async with httpx.AsyncClient(timeout=self._policy.timeout_s) as http:
            while True:
                try:
                    busy = await self.deliver_due(http)
                except Exception as exc:  # noqa: BLE001 - database away: try again soon
                    log.warning("webhook delivery paused", url=self._url, error=repr(exc))
                    busy = False
                if not busy:
                    await asyncio.sleep(_IDLE_S)

    async def deliver_due(self, http: httpx.AsyncClient) -> bool:
        """One pass: the entries due now, until the endpoint fails or nothing is left. True when
        something was attempted (there may be more)."""
        async with self._store.exclusive(self._url) as mine:
            if not mine:
                return False
            cursor = await self._store.cursor(self._url)
            if cursor.next_attempt_at > datetime.now(UTC):
                return False
            batch = await self._store.entries_after(cursor.delivered_sequence, _BATCH)
            attempts = cursor.attempts
            for chained in batch:
                error = await self._post(http, chained)
                if error is None:
                    await self._store.delivered(self._url, chained.sequence)
                    attempts = 0
                    continue
                attempts += 1
                if attempts >= self._policy.max_attempts:
                    log.error("webhook dead-lettered", url=self._url, sequence=chained.sequence)
                    await self._store.dead_letter(self._url, chained, attempts, error)
                    attempts = 0
                    continue
                retry_at = datetime.now(UTC) + self._policy.retry_after(attempts)
                await self._store.failed(self._url, attempts, retry_at, error)
                return True
            return bool(batch)

    async def _post(self, http: httpx.AsyncClient, chained: ChainedEntry) -> str | None:
        """None when the endpoint accepted the entry (any 2xx), else what went wrong."""
        body = json.dumps(entry_document(chained), separators=(",", ":")).encode()
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._policy.secret, timestamp, body),
            "X-Authmesh-Event-Id": chained.entry.event_id,
        }
        try:
            response = await http.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"
