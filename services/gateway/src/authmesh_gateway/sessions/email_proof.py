"""Signing in a user who just proved control of their email address: the one function every
passwordless sign-in ends in (/sign-in/email-otp, /email-otp/verify-email, /magic-link/verify)
on its way to `issue_session`.

Better-Auth asks for no second factor on these paths (its 2FA hook covers password sign-ins
only); Authmesh does, unless AUTHMESH_TWO_FACTOR_ON_EMAIL_SIGN_IN is off: the mailbox is the
factor a password reset already relies on, so it must not stand in for the second one. A user
with a second factor then gets a `SecondFactorRequired`, which the callers answer in their own
shape: `twoFactorRedirect` JSON, or for a magic link opened with a callbackURL a redirect to the
configured two-factor page (else the callbackURL) with `?twoFactorRedirect=true`.
"""

from starlette.requests import Request

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import passwordless_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.sessions.account_changes import revoke_user_sessions
from authmesh_gateway.sessions.issue import IssuedSession, issue_session
from authmesh_gateway.sessions.second_factor import SecondFactorRequired


async def sign_in_by_email_proof(
    ctx: GatewayContext,
    proof: passwordless_pb2.EmailProof,
    *,
    request: Request,
    method: str,
    actor: envelope_pb2.Actor,
) -> IssuedSession | SecondFactorRequired:
    user_id = proof.user.id
    if proof.unproven_access_revoked:
        # Sessions someone held before the address was proven are not the prover's.
        await revoke_user_sessions(ctx, user_id, reason="unproven-access", actor=actor)
    else:
        ctx.cache.evict_user(user_id)  # cached answers may still say "not verified"
    return await issue_session(
        ctx,
        request=request,
        user_id=user_id,
        method=method,
        dont_remember=False,
        actor=actor,
        ask_second_factor=ctx.settings.two_factor_on_email_sign_in,
    )
