"""Revoking every session of a user, when an account change demands it (DESIGN §2,
multi-service changes): called synchronously by the gateway right after identity commits, and
again, idempotently, by the consumer of identity's password.changed event."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_kit.events.envelope import Actor
from authmesh_session.domain import events
from authmesh_session.domain.model import token_hash
from authmesh_session.domain.ports import SessionStore


async def revoke_user_sessions(
    store: SessionStore,
    *,
    user_id: str,
    except_token: str | None,
    reason: str,
    actor: Actor | None,
    created_before: datetime | None = None,
    conn: AsyncConnection | None = None,
) -> int:
    """How many sessions went; each one's revocation event is written with its deletion, so
    that every gateway evicts it from its cache."""
    removed = await store.delete_for_user(
        user_id,
        lambda session, hashed: [events.session_revoked(session, hashed, reason, actor)],
        keep=token_hash(except_token) if except_token else None,
        created_before=created_before,
        conn=conn,
    )
    return len(removed)
