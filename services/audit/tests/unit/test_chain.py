"""The hash chain's pure rules: the canonical form, the walk that names the first broken entry,
the listing cursor, and the export reading page by page."""

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from authmesh_audit.domain.chain import Walk, canonical_form, entry_hash
from authmesh_audit.domain.model import (
    GENESIS,
    Anchor,
    AuditEntry,
    ChainedEntry,
    EventFilter,
    Position,
)
from authmesh_audit.domain.use_cases.list_events import (
    decode_cursor,
    encode_cursor,
    export_events,
)
from authmesh_audit.domain.use_cases.verify_chain import verify_chain
from authmesh_kit.errors import DomainError

T0 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def entry(n: int, **changes: str) -> AuditEntry:
    fields = {
        "event_id": f"event-{n}",
        "type": "auth.session.session.created.v1",
        "occurred_at": T0 + timedelta(seconds=n),
        "producer": "session",
        "actor_kind": "ACTOR_KIND_USER",
        "actor_user_id": "user-1",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 ✓",
        "user_id": "user-1",
        "organization_id": "",
        "session_id": f"session-{n}",
        "traceparent": "",
        "payload_json": '{"method":"email","mfa":false}',
    }
    return AuditEntry(**(fields | changes))  # type: ignore[arg-type]


def chain(count: int, anchor: Anchor = GENESIS) -> list[ChainedEntry]:
    chained, prev = [], anchor.hash
    for sequence in range(anchor.sequence + 1, anchor.sequence + count + 1):
        digest = entry_hash(entry(sequence), sequence, prev)
        chained.append(ChainedEntry(entry(sequence), sequence, prev, digest, T0))
        prev = digest
    return chained


def walk(entries: list[ChainedEntry], anchor: Anchor = GENESIS) -> Walk:
    found = Walk(anchor)
    for chained in entries:
        found.check(chained)
    return found


def head_of(entries: list[ChainedEntry]) -> Anchor:
    return Anchor(entries[-1].sequence, entries[-1].hash)


def test_the_canonical_form_is_sorted_compact_utf8_json() -> None:
    form = canonical_form(entry(1), 1, "ab")
    assert form.startswith(b'{"actor_kind":"ACTOR_KIND_USER","actor_user_id":"user-1",')
    assert b'"occurred_at":"2026-11-27T03:00:01.000000Z"' in form
    assert b'"payload":{"method":"email","mfa":false}' in form
    assert "✓".encode() in form and b" " not in form.replace(b"Mozilla/5.0 ", b"")
    assert entry_hash(entry(1), 1, "ab") == hashlib.sha256(form).hexdigest()
    # The payload's key order and spacing, as JSONB gives them back, change nothing.
    respaced = entry(1, payload_json='{ "mfa": false, "method": "email" }')
    assert entry_hash(respaced, 1, "ab") == entry_hash(entry(1), 1, "ab")


def test_an_intact_chain_verifies() -> None:
    entries = chain(5)
    result = walk(entries).finish(head_of(entries))
    assert result.ok and result.checked == 5 and result.last_sequence == 5


def test_an_intact_chain_verifies_from_its_anchor() -> None:
    anchor = Anchor(100, "f" * 64)
    entries = chain(3, anchor)
    result = walk(entries, anchor).finish(head_of(entries))
    assert result.ok and result.checked == 3 and result.anchor == anchor


def test_an_edited_field_is_named() -> None:
    entries = chain(5)
    entries[2] = replace(entries[2], entry=replace(entries[2].entry, ip="198.51.100.1"))
    result = walk(entries).finish(head_of(entries))
    assert (result.problem, result.broken_sequence, result.broken_event_id) == (
        "EDITED",
        3,
        "event-3",
    )
    assert result.checked == 2


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link() -> None:
    entries = chain(5)
    edited = replace(entries[1].entry, ip="198.51.100.1")
    entries[1] = replace(entries[1], entry=edited, hash=entry_hash(edited, 2, entries[1].prev_hash))
    result = walk(entries).finish(head_of(entries))
    assert (result.problem, result.broken_sequence) == ("EDITED", 3)


def test_a_deleted_entry_is_named_as_missing() -> None:
    entries = chain(5)
    del entries[2]
    result = walk(entries).finish(head_of(entries))
    assert (result.problem, result.broken_sequence) == ("MISSING", 3)


def test_swapped_entries_are_named() -> None:
    entries = chain(5)
    first, second = entries[1], entries[2]
    entries[1] = replace(second, sequence=2)
    entries[2] = replace(first, sequence=3)
    result = walk(entries).finish(head_of(chain(5)))
    assert (result.problem, result.broken_sequence) == ("EDITED", 2)


def test_removed_newest_entries_are_named() -> None:
    entries = chain(5)
    head = head_of(entries)
    result = walk(entries[:3]).finish(head)
    assert (result.problem, result.broken_sequence) == ("TRUNCATED", 4)


def test_cursors_round_trip_and_refuse_anything_else() -> None:
    position = Position(T0 + timedelta(microseconds=123), 42)
    assert decode_cursor(encode_cursor(position)) == position
    for bad in ("", "!!", "aGVsbG8", "é", encode_cursor(position) + "x", "MTIzLg"):
        with pytest.raises(DomainError) as refused:
            decode_cursor(bad)
        assert refused.value.reason == "INVALID_CURSOR"


class PagedStore:
    """A store that records the pages asked of it (the export must read one at a time)."""

    def __init__(self, entries: list[ChainedEntry]) -> None:
        self.entries = sorted(
            entries, key=lambda c: (c.entry.occurred_at, c.sequence), reverse=True
        )
        self.calls: list[Position | None] = []

    async def list_entries(
        self, event_filter: EventFilter, limit: int, after: Position | None
    ) -> list[ChainedEntry]:
        self.calls.append(after)
        start = 0
        if after is not None:
            start = next(
                i
                for i, c in enumerate(self.entries)
                if (c.entry.occurred_at, c.sequence) < (after.occurred_at, after.sequence)
            )
        return self.entries[start : start + limit]


async def test_the_export_reads_page_by_page_as_it_is_consumed() -> None:
    store = PagedStore(chain(25))
    stream = export_events(store, EventFilter(), page_size=10)  # type: ignore[arg-type]
    first = await anext(stream)
    assert first.sequence == 25 and len(store.calls) == 1  # one page read, not all of them
    rest = [chained.sequence async for chained in stream]
    assert rest == list(range(24, 0, -1))
    assert len(store.calls) == 3


class SnapshotStore:
    def __init__(self, entries: list[ChainedEntry]) -> None:
        self.entries = entries
        self.batches = 0

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator["SnapshotStore"]:
        yield self

    async def anchor(self) -> Anchor:
        return GENESIS

    async def head(self) -> Anchor:
        return head_of(self.entries)

    async def entries_after(self, sequence: int, up_to: int, limit: int) -> list[ChainedEntry]:
        self.batches += 1
        found = [c for c in self.entries if sequence < c.sequence <= up_to]
        return found[:limit]


async def test_verification_walks_in_batches() -> None:
    store = SnapshotStore(chain(25))
    result = await verify_chain(store, batch_size=10)
    assert result.ok and result.checked == 25 and store.batches == 3
