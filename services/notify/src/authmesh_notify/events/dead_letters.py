"""Dead letters: a record of each message notify gave up on, without its secret.

Published on `<namespace>.notify.dead.<type>`, which lies inside the NOTIFY stream's subjects
(`<namespace>.notify.>`) — the only subjects besides its own events that a service's NATS user
may publish to. The stream keeps the records for its max age (one hour); notify's own consumer
filters `email.>` and `sms.>` only, so it never takes them, and an operator may read them with a
consumer filtering `<namespace>.notify.dead.>` (work-queue consumers must not overlap; these do
not). A record holds the message's id, type and channel, the recipient's email domain (never
the address or a phone number), the reason and the number of tries.
"""

import json
import re
from dataclasses import dataclass
from typing import Protocol

from authmesh_kit.events.nats_link import NatsLink

_TOKEN = re.compile(r"[^a-z0-9-]")
_MAX_TOKEN = 64
_PUBLISH_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class DeadLetter:
    id: str
    type: str
    channel: str
    recipient_domain: str
    reason: str
    tries: int


def subject_token(value: str) -> str:
    """A NATS subject token from untrusted text (a type read off a subject, say)."""
    return _TOKEN.sub("_", value.lower())[:_MAX_TOKEN] or "unknown"


def dead_letter_subject(namespace: str, type_: str) -> str:
    return f"{namespace}.notify.dead.{subject_token(type_)}"


def encode(record: DeadLetter) -> bytes:
    payload = {
        "id": record.id,
        "type": record.type,
        "channel": record.channel,
        "recipientDomain": record.recipient_domain,
        "reason": record.reason,
        "tries": record.tries,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


class DeadLetters(Protocol):
    """Raises when the record could not be stored; the message is then kept for a retry."""

    async def publish(self, record: DeadLetter) -> None: ...


class JetStreamDeadLetters:
    def __init__(self, nats: NatsLink, namespace: str) -> None:
        self._nats = nats
        self._namespace = namespace

    async def publish(self, record: DeadLetter) -> None:
        js = await self._nats.jetstream()
        # The same id twice (the record stored, then the message not terminated) is one record.
        headers = {"Nats-Msg-Id": f"dead-{record.id}"} if record.id else None
        await js.publish(
            dead_letter_subject(self._namespace, record.type),
            encode(record),
            timeout=_PUBLISH_TIMEOUT_S,
            headers=headers,
        )
