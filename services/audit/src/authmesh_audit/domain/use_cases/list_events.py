"""Audit entries matching a filter, newest first, in keyset pages; and the same streamed whole.

The cursor is the position of a page's last entry, (occurred_at in microseconds, sequence),
so the next page is an index range however deep it lies: no OFFSET.
"""

import base64
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from authmesh_audit.domain.model import ChainedEntry, EventFilter, Page, Position
from authmesh_audit.domain.ports import AuditStore
from authmesh_kit.errors import DomainError, ErrorKind

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
EXPORT_PAGE = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"(-?[0-9]{1,19})\.([0-9]{1,19})")


def encode_cursor(position: Position) -> str:
    micros = (position.occurred_at - _EPOCH) // timedelta(microseconds=1)
    raw = f"{micros}.{position.sequence}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    # Strictly: urlsafe_b64decode silently drops characters outside the alphabet, so a mangled
    # cursor would answer a wrong page instead of an error.
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        match = _CURSOR.fullmatch(raw.decode("ascii"))
        if match is None:
            raise ValueError(cursor)
        occurred_at = _EPOCH + timedelta(microseconds=int(match[1]))
    except (ValueError, OverflowError):  # binascii.Error, UnicodeDecodeError, out of range
        raise DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_CURSOR", "audit") from None
    return Position(occurred_at, int(match[2]))


def check_filter(event_filter: EventFilter) -> None:
    start, end = event_filter.occurred_from, event_filter.occurred_to
    if start is not None and end is not None and end <= start:
        raise DomainError(
            ErrorKind.INVALID_ARGUMENT, "INVALID_TIME_RANGE", "audit", "`to` must follow `from`"
        )


def position_of(chained: ChainedEntry) -> Position:
    return Position(chained.entry.occurred_at, chained.sequence)


async def list_events(
    store: AuditStore, event_filter: EventFilter, *, limit: int, cursor: str
) -> Page:
    check_filter(event_filter)
    size = DEFAULT_LIMIT if limit <= 0 else min(limit, MAX_LIMIT)
    after = decode_cursor(cursor) if cursor else None
    found = await store.list_entries(event_filter, size + 1, after)
    if len(found) <= size:
        return Page(entries=found, next_cursor="")
    page = found[:size]
    return Page(entries=page, next_cursor=encode_cursor(position_of(page[-1])))


async def export_events(
    store: AuditStore, event_filter: EventFilter, page_size: int = EXPORT_PAGE
) -> AsyncIterator[ChainedEntry]:
    """Every matching entry, newest first, one page in memory at a time."""
    check_filter(event_filter)
    after: Position | None = None
    while True:
        page = await store.list_entries(event_filter, page_size, after)
        for chained in page:
            yield chained
        if len(page) < page_size:
            return
        after = position_of(page[-1])
