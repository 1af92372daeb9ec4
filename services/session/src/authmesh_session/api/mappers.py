"""Domain sessions to session.v1 messages."""

from typing import Any

from google.protobuf import timestamp_pb2

from authmesh.session.v1 import session_pb2
from authmesh_session.domain.errors import invalid_token
from authmesh_session.domain.model import TOKEN_LENGTH, Session

_MAX_TOKEN_LENGTH = 4 * TOKEN_LENGTH  # imported tokens may differ in length, never this much


def checked_token(token: str) -> str:
    """A session token as a request carries it; INVALID_TOKEN when it cannot be one."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise invalid_token()
    return token


def session_to_proto(session: Session, token: str) -> session_pb2.Session:
    stamps: dict[str, Any] = {}
    for field in ("expires_at", "created_at", "updated_at"):
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(getattr(session, field))
        stamps[field] = stamp
    message = session_pb2.Session(
        id=session.id,
        token=token,
        user_id=session.user_id,
        ip_address=session.ip_address,
        user_agent=session.user_agent,
        dont_remember=session.dont_remember,
        **stamps,
    )
    for field in ("active_organization_id", "active_team_id", "impersonated_by"):
        value = getattr(session, field)
        if value is not None:
            setattr(message, field, value)
    return message
