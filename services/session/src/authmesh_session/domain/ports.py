"""What the session use cases need from storage."""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_kit.events.envelope import Envelope
from authmesh_session.domain.model import Session
from authmesh_session.domain.signing_keys import SigningKey


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

    async def set_active(
        self,
        hashed_token: bytes,
        now: datetime,
        changes: Mapping[str, str | None],
        events_for: Callable[[Session], Sequence[Envelope]],
    ) -> Session | None:
        """Sets `changes` (active_organization_id / active_team_id) on the session of
        `hashed_token` unless it expired by `now`, with the events `events_for` builds from the
        changed session, in one transaction; None when there is no such live session."""
        ...

    async def list_for_user(self, user_id: str, now: datetime, limit: int) -> list[Session]:
        """The user's sessions expiring after `now`, oldest first; the newest `limit` of
        them when there are more."""
        ...

    async def delete_one_for_user(
        self,
        user_id: str | None,
        hashed_token: bytes,
        session_id: str,
        events_for: Callable[[Session, bytes], Sequence[Envelope]],
    ) -> Session | None:
        """Deletes the user's session whose token hash is `hashed_token` or whose id is
        `session_id`, with the events `events_for` builds from it and its token hash, in one
        transaction; None when the user has no such session. `user_id` None: any user's (an
        admin's revocation)."""
        ...

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


class SigningKeyStore(Protocol):
    """The JWT signing keys (domain/signing_keys.py)."""

    async def published_since(self, cutoff: datetime) -> list[SigningKey]:
        """Keys that sign, or stopped signing, after `cutoff`; newest first."""
        ...

    async def current_or_add(
        self, now: datetime, candidate: SigningKey, *, retired_before: datetime
    ) -> SigningKey:
        """The newest key still signing at `now`, or else `candidate`, stored. Atomic across
        replicas: of any number of concurrent calls, at most one stores its candidate. Keys
        that stopped signing before `retired_before` are deleted when a key is added."""
        ...
