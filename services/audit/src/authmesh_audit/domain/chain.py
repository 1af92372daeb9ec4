"""The hash chain that makes the audit log tamper-evident.

Each entry's `hash` is the hex SHA-256 of its canonical form: a JSON object, keys sorted, no
whitespace, non-ASCII characters as UTF-8, holding `sequence`, `prev_hash` (the previous entry's
hash, "" before the first), every field of the event (`event_id`, `type`, `occurred_at` as
RFC 3339 UTC with microseconds, `producer`, `actor_kind`, `actor_user_id`, `ip`, `user_agent`,
`user_id`, `organization_id`, `session_id`, `traceparent`) and `payload`, the payload's JSON
value. `recorded_at` is not covered: it is the store's clock, not the event.

Editing any covered field breaks the entry's own hash; deleting an entry leaves a gap in the
sequence; removing the newest entries leaves the chain shorter than its head says. `Walk`
checks entries one at a time, so a verification of any length holds one entry in memory.
"""

import hashlib
import json
from datetime import UTC, datetime

from authmesh_audit.domain.model import Anchor, AuditEntry, ChainedEntry, Verification


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_form(entry: AuditEntry, sequence: int, prev_hash: str) -> bytes:
    document = {
        "sequence": sequence,
        "prev_hash": prev_hash,
        "event_id": entry.event_id,
        "type": entry.type,
        "occurred_at": _timestamp(entry.occurred_at),
        "producer": entry.producer,
        "actor_kind": entry.actor_kind,
        "actor_user_id": entry.actor_user_id,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "user_id": entry.user_id,
        "organization_id": entry.organization_id,
        "session_id": entry.session_id,
        "traceparent": entry.traceparent,
        "payload": json.loads(entry.payload_json),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def entry_hash(entry: AuditEntry, sequence: int, prev_hash: str) -> str:
    return hashlib.sha256(canonical_form(entry, sequence, prev_hash)).hexdigest()


class Walk:
    """A verification in progress: feed it the entries after `anchor` in sequence order, then
    `finish` with the chain head's sequence and hash. It stops at the first broken link."""

    def __init__(self, anchor: Anchor) -> None:
        self._anchor = anchor
        self._expected = anchor.sequence + 1
        self._prev_hash = anchor.hash
        self._checked = 0
        self._failure: Verification | None = None

    @property
    def failed(self) -> bool:
        return self._failure is not None

    def check(self, chained: ChainedEntry) -> None:
        if self._failure is not None:
            return
        if chained.sequence != self._expected:
            missing = self._expected
            detail = f"entries {missing} to {chained.sequence - 1} are missing"
            self._fail("MISSING", missing, "", detail)
            return
        if chained.prev_hash != self._prev_hash:
            detail = "its link to the previous entry was changed"
            self._fail("EDITED", chained.sequence, chained.entry.event_id, detail)
            return
        if entry_hash(chained.entry, chained.sequence, chained.prev_hash) != chained.hash:
            detail = "its content no longer matches its hash"
            self._fail("EDITED", chained.sequence, chained.entry.event_id, detail)
            return
        self._checked += 1
        self._expected += 1
        self._prev_hash = chained.hash

    def finish(self, head: Anchor) -> Verification:
        if self._failure is not None:
            return self._failure
        last = self._expected - 1
        if head.sequence != last or head.hash != self._prev_hash:
            if head.sequence > last:
                detail = f"the chain ends at {last}, its head is at {head.sequence}"
                self._fail("TRUNCATED", last + 1, "", detail)
            else:
                self._fail("EDITED", last, "", "the chain head does not match the last entry")
            assert self._failure is not None
            return self._failure
        return Verification(self._anchor, checked=self._checked, last_sequence=last)

    def _fail(self, problem: str, sequence: int, event_id: str, detail: str) -> None:
        self._failure = Verification(
            self._anchor,
            checked=self._checked,
            last_sequence=self._expected - 1,
            problem=problem,
            broken_sequence=sequence,
            broken_event_id=event_id,
            detail=detail,
        )
