"""Sessions following account changes (DESIGN §2, multi-service changes): identity has
committed, and the gateway now revokes at the session service, which publishes one
auth.session.session.revoked per session so that every gateway evicts it. If that call fails,
the change still stands: the session service's consumer of identity's password.changed event
revokes the same sessions shortly after, so the answer does not turn into an error."""

import structlog

from authmesh.events.v1 import envelope_pb2
from authmesh_gateway.context import GatewayContext
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
            "session revocation left to the password.changed consumer",
            user_id=user_id,
            reason=error.reason,
        )
    # A get-session between the first eviction and the revocation may have cached one again.
    ctx.cache.evict_user(user_id)
