"""`issue_session`: the one function every sign-in path ends in (DESIGN §2).

identity.AssertCanSignIn (banned, deleted) → risk.Assess → mfa → session.Create. Risk scoring and
second factors arrive with their own services; until then the path is identity then session.
"""

from dataclasses import dataclass

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import identity_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.context import GatewayContext


@dataclass(frozen=True)
class IssuedSession:
    session: session_pb2.Session
    user: identity_pb2.User


async def issue_session(
    ctx: GatewayContext,
    *,
    user_id: str,
    method: str,
    dont_remember: bool,
    actor: envelope_pb2.Actor,
) -> IssuedSession:
    user = await ctx.identity.assert_can_sign_in(user_id)
    session = await ctx.session.create(
        user_id=user.id,
        ip_address=actor.ip,
        user_agent=actor.user_agent,
        dont_remember=dont_remember,
        method=method,
        actor=actor,
    )
    return IssuedSession(session=session, user=user)
