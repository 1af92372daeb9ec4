"""A user's live sessions, for list-sessions."""

from datetime import UTC, datetime

from authmesh_session.domain.model import Session
from authmesh_session.domain.ports import SessionStore

# A user rarely has more than a few sessions; the cap keeps a listing bounded whatever happens.
MAX_LISTED_SESSIONS = 1000


async def list_user_sessions(store: SessionStore, *, user_id: str) -> list[Session]:
    return await store.list_for_user(user_id, datetime.now(UTC), MAX_LISTED_SESSIONS)
