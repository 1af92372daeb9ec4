"""Events the session service publishes."""

from google.protobuf import timestamp_pb2

from authmesh.session.v1 import session_pb2
from authmesh_kit.events.catalogue import (
    IMPERSONATION_STARTED,
    SESSION_CREATED,
    SESSION_REVOKED,
    SESSION_UPDATED,
)
from authmesh_kit.events.envelope import Actor, Envelope, build_envelope
from authmesh_session.domain.model import Session


def session_created(
    session: Session,
    method: str,
    mfa_used: bool,
    risk: session_pb2.RiskOutcome | None,
    actor: Actor | None,
) -> Envelope:
    expires_at = timestamp_pb2.Timestamp()
    expires_at.FromDatetime(session.expires_at)
    payload = session_pb2.SessionCreated(
        session_id=session.id,
        user_id=session.user_id,
        method=method,
        mfa_used=mfa_used,
        expires_at=expires_at,
        risk=risk,
    )
    return build_envelope(
        SESSION_CREATED, payload, actor=actor, user_id=session.user_id, session_id=session.id
    )


def impersonation_started(session: Session, actor: Actor | None) -> Envelope:
    expires_at = timestamp_pb2.Timestamp()
    expires_at.FromDatetime(session.expires_at)
    payload = session_pb2.ImpersonationStarted(
        session_id=session.id,
        user_id=session.user_id,
        admin_user_id=session.impersonated_by or "",
        expires_at=expires_at,
    )
    return build_envelope(
        IMPERSONATION_STARTED,
        payload,
        actor=actor,
        user_id=session.user_id,
        session_id=session.id,
    )


def session_revoked(
    session: Session, hashed_token: bytes, reason: str, actor: Actor | None
) -> Envelope:
    payload = session_pb2.SessionRevoked(
        session_id=session.id,
        user_id=session.user_id,
        token_hash=hashed_token.hex(),
        reason=reason,
    )
    return build_envelope(
        SESSION_REVOKED, payload, actor=actor, user_id=session.user_id, session_id=session.id
    )


def session_updated(session: Session, hashed_token: bytes, actor: Actor | None) -> Envelope:
    """The session's active organization or team changed (set_active_organization)."""
    payload = session_pb2.SessionUpdated(
        session_id=session.id,
        user_id=session.user_id,
        token_hash=hashed_token.hex(),
        active_organization_id=session.active_organization_id,
        active_team_id=session.active_team_id,
    )
    return build_envelope(
        SESSION_UPDATED, payload, actor=actor, user_id=session.user_id, session_id=session.id
    )
