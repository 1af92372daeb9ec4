"""Sessions following account changes (DESIGN §2, multi-service changes): identity has
committed, and the gateway now revokes at the session service, which publishes one
auth.session.session.revoked per session so that every gateway evicts it. If that call fails,
the change still stands: the session service's consumers of identity's events (password.changed,
email.changed, user.deleted) revoke the same sessions shortly after, so the answer does not
turn into an error."""

import structlog

from authmesh.events.v1 import envelope_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.sessions.current import CurrentSession
from authmesh_kit.errors import DomainError

log = structlog.get_logger(__name__)


async def revoke_user_sessions(
    ctx: GatewayContext, user_id: str, *, reason: str, actor: envelope_pb2.Actor
) -> None:
    ctx.cache.evict_user(user_id)
    try:
        await ctx.session.revoke_user_sessions(user_id, reason=reason, actor=actor)
    except DomainError as error:
        log.warning(
            "session revocation left to the session service's event consumer",
            user_id=user_id,
            reason=error.reason,
        )
    # A get-session between the first eviction and the revocation may have cached one again.
    ctx.cache.evict_user(user_id)


async def revoke_and_reissue(
    ctx: GatewayContext,
    user_id: str,
    current: CurrentSession | None,
    *,
    reason: str,
    actor: envelope_pb2.Actor,
) -> session_pb2.Session | None:
    """Every session of the user goes; a caller signed in as this user gets a new one in place
    of theirs (Better-Auth's rotation), created after the change so that the event's consumer
    keeps it. None for any other caller."""
    await revoke_user_sessions(ctx, user_id, reason=reason, actor=actor)
    if current is None or current.user.id != user_id:
        return None
    return await ctx.session.create(
        user_id=user_id,
        ip_address=actor.ip,
        user_agent=actor.user_agent,
        dont_remember=current.session.dont_remember,
        method=reason,
        actor=actor,
    )
