"""Signing in a user who just proved control of their email address: the one function every
passwordless sign-in ends in (/sign-in/email-otp, /email-otp/verify-email, /magic-link/verify)
on its way to `issue_session`.

The second factor belongs here (issue 5). Better-Auth asks for none on these paths (its 2FA hook
covers password sign-ins only); Authmesh will: a user with `two_factor_enabled` must get a
challenge from this function instead of a session, and its three callers must answer that
challenge in their own shape (JSON, or a redirect for a magic link opened with a callbackURL).
"""

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import passwordless_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.sessions.account_changes import revoke_user_sessions
from authmesh_gateway.sessions.issue import IssuedSession, issue_session


async def sign_in_by_email_proof(
    ctx: GatewayContext,
    proof: passwordless_pb2.EmailProof,
    *,
    method: str,
    actor: envelope_pb2.Actor,
) -> IssuedSession:
    user_id = proof.user.id
    if proof.unproven_access_revoked:
        # Sessions someone held before the address was proven are not the prover's.
        await revoke_user_sessions(ctx, user_id, reason="unproven-access", actor=actor)
    else:
        ctx.cache.evict_user(user_id)  # cached answers may still say "not verified"
    return await issue_session(
        ctx, user_id=user_id, method=method, dont_remember=False, actor=actor
    )
