"""What the session use cases need from storage."""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_kit.events.envelope import Envelope
from authmesh_session.domain.model import Session


class SessionStore(Protocol):
    async def create(self, session: Session, hashed_token: bytes, *events: Envelope) -> None: ...

    async def get(self, hashed_token: bytes) -> Session | None: ...

    async def extend(
        self, hashed_token: bytes, expires_at: datetime, updated_at: datetime
    ) -> None: ...

    async def delete(
        self, hashed_token: bytes, events_for: Callable[[Session], Sequence[Envelope]]
    ) -> Session | None:
        """Deletes the session and, in the same transaction, the events `events_for` builds
        from it; None when it did not exist."""
        ...

    async def delete_expired(self, hashed_token: bytes) -> None: ...

    async def delete_for_user(
        self,
        user_id: str,
        events_for: Callable[[Session, bytes], Sequence[Envelope]],
        *,
        keep: bytes | None = None,
        created_before: datetime | None = None,
        conn: AsyncConnection | None = None,
    ) -> list[Session]:
        """Deletes the user's sessions (but `keep`; only those created before `created_before`
        when given) and, in the same transaction, the events `events_for` builds from each
        session and its token hash. `conn`: the caller's transaction, if it has one."""
        ...
