"""Revoking one session by its token; idempotent."""

from authmesh_kit.events.envelope import Actor
from authmesh_session.domain import events
from authmesh_session.domain.model import token_hash
from authmesh_session.domain.ports import SessionStore


async def revoke_session(
    store: SessionStore, *, token: str, reason: str, actor: Actor | None
) -> bool:
    hashed = token_hash(token)
    removed = await store.delete(
        hashed, lambda session: [events.session_revoked(session, hashed, reason, actor)]
    )
    return removed is not None
