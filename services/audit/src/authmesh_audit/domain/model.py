"""Audit entries: one stored event each, never a secret (events carry none), linked into a hash
chain (domain/chain.py)."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class AuditEntry:
    """What an event says, as audit stores it."""

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
class ChainedEntry:
    """An entry in its place in the chain: `sequence` counts from 1 without gaps, `prev_hash`
    is the hash of entry `sequence - 1` (or of the anchor), `hash` covers both and the entry."""

    entry: AuditEntry
    sequence: int
    prev_hash: str
    hash: str
    recorded_at: datetime


@dataclass(frozen=True)
class Anchor:
    """Where a verification starts: the genesis (0, "") or the last entry retention removed."""

    sequence: int
    hash: str


GENESIS = Anchor(0, "")


@dataclass(frozen=True)
class EventFilter:
    """Set fields must all match; `types` matches any of its types."""

    user_id: str = ""
    organization_id: str = ""
    types: tuple[str, ...] = ()
    ip: str = ""
    occurred_from: datetime | None = None  # inclusive
    occurred_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class Position:
    """A place in the listing order (occurred_at, then sequence, both descending)."""

    occurred_at: datetime
    sequence: int


@dataclass(frozen=True)
class Page:
    entries: list[ChainedEntry]
    next_cursor: str


@dataclass(frozen=True)
class Verification:
    """The outcome of a walk along the chain; `problem` is empty when every link held."""

    anchor: Anchor
    checked: int = 0
    last_sequence: int = 0
    problem: str = ""  # EDITED, MISSING or TRUNCATED
    broken_sequence: int = 0
    broken_event_id: str = ""
    detail: str = field(default="")

    @property
    def ok(self) -> bool:
        return not self.problem
