"""Users and sessions in Better-Auth's JSON shape: its key order, ISO dates with milliseconds,
`null` for absent optional columns (api.md §8)."""

from datetime import UTC
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from authmesh.identity.v1 import identity_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.wire.dates import iso_date


def _date(stamp: Timestamp) -> str:
    return iso_date(stamp.ToDatetime(tzinfo=UTC))


def _optional(message: Any, field: str) -> Any:
    return getattr(message, field) if message.HasField(field) else None


def user_json(user: identity_pb2.User) -> dict[str, Any]:
    return {
        "name": user.name,
        "email": user.email,
        "emailVerified": user.email_verified,
        "image": _optional(user, "image"),
        "createdAt": _date(user.created_at),
        "updatedAt": _date(user.updated_at),
        "twoFactorEnabled": user.two_factor_enabled,
        "username": _optional(user, "username"),
        "displayUsername": _optional(user, "display_username"),
        "phoneNumber": _optional(user, "phone_number"),
        # Better-Auth leaves this column null until a phone number is added.
        "phoneNumberVerified": user.phone_number_verified
        if user.HasField("phone_number")
        else None,
        "role": user.role,
        "banned": user.banned,
        "banReason": _optional(user, "ban_reason"),
        "banExpires": _date(user.ban_expires) if user.HasField("ban_expires") else None,
        "id": user.id,
    }


def session_json(session: session_pb2.Session) -> dict[str, Any]:
    return {
        "expiresAt": _date(session.expires_at),
        "token": session.token,
        "createdAt": _date(session.created_at),
        "updatedAt": _date(session.updated_at),
        "ipAddress": session.ip_address,
        "userAgent": session.user_agent,
        "userId": session.user_id,
        "activeOrganizationId": _optional(session, "active_organization_id"),
        "activeTeamId": _optional(session, "active_team_id"),
        "impersonatedBy": _optional(session, "impersonated_by"),
        "id": session.id,
    }


def listed_session_json(
    session: session_pb2.Session, own_token: str, own_session_id: str
) -> dict[str, Any]:
    """A session as a listing shows it (list-sessions, admin list-user-sessions): the caller's
    own with its token, any other with its id in the token's place, a handle that
    revoke-session takes but no cookie or bearer header does."""
    listed = session_json(session)
    listed["token"] = own_token if session.id == own_session_id else session.id
    return listed
