"""A user's audit entries, newest first, in cursor pages."""

import base64
import uuid

from authmesh_audit.domain.model import Page
from authmesh_audit.domain.ports import AuditStore
from authmesh_kit.errors import DomainError, ErrorKind

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _encode_cursor(event_id: str) -> str:
    return base64.urlsafe_b64encode(event_id.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    # Strictly: urlsafe_b64decode silently drops characters outside the alphabet, and any text
    # would do as a bound, so a mangled cursor used to answer a wrong (often empty) page instead
    # of an error. A cursor is only ever an event id, a UUID in canonical form.
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        event_id = raw.decode("ascii")
        if str(uuid.UUID(event_id)) != event_id:
            raise ValueError(event_id)
    except ValueError:  # binascii.Error, UnicodeDecodeError, non-ASCII input, not a UUID
        raise DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_CURSOR", "audit") from None
    return event_id


async def list_events(store: AuditStore, *, user_id: str, limit: int, cursor: str) -> Page:
    if not user_id:
        raise DomainError(ErrorKind.INVALID_ARGUMENT, "USER_ID_REQUIRED", "audit")
    size = DEFAULT_LIMIT if limit <= 0 else min(limit, MAX_LIMIT)
    before = _decode_cursor(cursor) if cursor else None
    entries = await store.list_for_user(user_id, size + 1, before)
    if len(entries) <= size:
        return Page(entries=entries, next_cursor="")
    page = entries[:size]
    return Page(entries=page, next_cursor=_encode_cursor(page[-1].event_id))
