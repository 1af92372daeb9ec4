"""An audit entry: one stored event, never a secret (events carry none)."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AuditEntry:
    event_id: str
    type: str
    occurred_at: datetime
    producer: str
    actor_kind: str
    actor_user_id: str
    ip: str
    user_agent: str
    user_id: str
    organization_id: str
    session_id: str
    traceparent: str
    payload_json: str


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    next_cursor: str
