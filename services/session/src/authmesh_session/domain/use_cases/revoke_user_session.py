"""Revoking one session named by its token or by its id: one of a user's own (revoke-session),
or any user's (an admin's revoke-user-session, authorized by identity first).

A listing shows other sessions' ids in place of their tokens, which are never handed out, so
both must work; a user's revocation never reaches a session of another user. Idempotent.
"""

from authmesh_kit.events.envelope import Actor
from authmesh_session.domain import events
from authmesh_session.domain.model import Session, token_hash
from authmesh_session.domain.ports import SessionStore


async def revoke_user_session(
    store: SessionStore, *, user_id: str, token_or_id: str, reason: str, actor: Actor | None
) -> Session | None:
    """The revoked session, or None when the user had none by that token or id."""
    return await store.delete_one_for_user(
        user_id,
        token_hash(token_or_id),
        token_or_id,
        lambda session, hashed: [events.session_revoked(session, hashed, reason, actor)],
    )


async def revoke_any_session(
    store: SessionStore, *, token_or_id: str, reason: str, actor: Actor | None
) -> Session | None:
    """The revoked session, or None when no session had that token or id."""
    return await store.delete_one_for_user(
        None,
        token_hash(token_or_id),
        token_or_id,
        lambda session, hashed: [events.session_revoked(session, hashed, reason, actor)],
    )
