"""Session lookup with Better-Auth's refresh rule."""

from datetime import UTC, datetime

from authmesh_session.domain.errors import session_not_found
from authmesh_session.domain.model import Session, SessionLifetimes, token_hash
from authmesh_session.domain.ports import SessionStore


async def get_session(
    store: SessionStore, lifetimes: SessionLifetimes, *, token: str, disable_refresh: bool
) -> tuple[Session, bool]:
    """The live session for `token` and whether it was refreshed; expired ones are removed."""
    hashed = token_hash(token)
    session = await store.get(hashed)
    now = datetime.now(UTC)
    if session is None:
        raise session_not_found()
    if session.expires_at <= now:
        await store.delete_expired(hashed)
        raise session_not_found()
    refreshed = None if disable_refresh else lifetimes.refreshed(session, now)
    if refreshed is None:
        return session, False
    await store.extend(hashed, refreshed.expires_at, refreshed.updated_at)
    return refreshed, True
