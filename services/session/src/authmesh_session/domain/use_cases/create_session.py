"""A new session for a user who passed every sign-in check (the gateway's issue_session), or
for an admin impersonating a user whom identity let them impersonate. session.created carries
how risk scored the sign-in (or that it could not), so the audit trail shows every session
risk never saw."""

from datetime import UTC, datetime

from authmesh.session.v1 import session_pb2
from authmesh_kit.events.envelope import Actor
from authmesh_kit.ids import new_id
from authmesh_session.domain import events
from authmesh_session.domain.model import Session, SessionLifetimes, new_token, token_hash
from authmesh_session.domain.ports import SessionStore


async def create_session(
    store: SessionStore,
    lifetimes: SessionLifetimes,
    *,
    user_id: str,
    ip_address: str,
    user_agent: str,
    dont_remember: bool,
    method: str,
    mfa_used: bool,
    actor: Actor | None,
    impersonated_by: str | None = None,
    risk: session_pb2.RiskOutcome | None = None,
) -> tuple[Session, str]:
    """Returns the session and its token; the token exists nowhere else from now on. An
    impersonation (`impersonated_by`: the admin) lives `impersonation_expires_in` and, like a
    rememberMe:false session, is never refreshed (Better-Auth's admin plugin)."""
    now = datetime.now(UTC)
    impersonating = impersonated_by is not None
    session = Session(
        id=new_id(),
        user_id=user_id,
        expires_at=(
            now + lifetimes.impersonation_expires_in
            if impersonating
            else lifetimes.expiry_for(now, dont_remember)
        ),
        created_at=now,
        updated_at=now,
        ip_address=ip_address,
        user_agent=user_agent,
        dont_remember=dont_remember or impersonating,
        impersonated_by=impersonated_by,
    )
    token = new_token()
    announced = [events.session_created(session, method, mfa_used, risk, actor)]
    if impersonating:
        announced.append(events.impersonation_started(session, actor))
    await store.create(session, token_hash(token), *announced)
    return session, token
