"""Events the identity service publishes, built from the kit's catalogue."""

from datetime import datetime

from google.protobuf import timestamp_pb2

from authmesh.identity.v1 import admin_pb2, identity_pb2, passwordless_pb2
from authmesh_kit.events.catalogue import (
    EMAIL_CHANGE_REQUESTED,
    EMAIL_CHANGED,
    EMAIL_CODE_FAILED,
    EMAIL_CODE_REQUESTED,
    EMAIL_VERIFICATION_REQUESTED,
    EMAIL_VERIFIED,
    MAGIC_LINK_REQUESTED,
    PASSWORD_CHANGED,
    PASSWORD_RESET_COMPLETED,
    PASSWORD_RESET_REQUESTED,
    PHONE_CODE_FAILED,
    PHONE_CODE_REQUESTED,
    PHONE_NUMBER_VERIFIED,
    SIGN_IN_FAILED,
    USER_BANNED,
    USER_CREATED,
    USER_DELETED,
    USER_DELETION_REQUESTED,
    USER_UNBANNED,
    USER_UPDATED,
)
from authmesh_kit.events.envelope import Actor, Envelope, build_envelope


def user_created(user_id: str, email: str, method: str, actor: Actor | None) -> Envelope:
    # The full address is personal data; the audit trail needs only the domain.
    payload = identity_pb2.UserCreated(
        user_id=user_id, email_domain=email.rpartition("@")[2], method=method
    )
    return build_envelope(USER_CREATED, payload, actor=actor, user_id=user_id)


def sign_in_failed(reason: str, user_id: str, actor: Actor | None) -> Envelope:
    payload = identity_pb2.SignInFailed(reason=reason, user_id=user_id)
    return build_envelope(SIGN_IN_FAILED, payload, actor=actor, user_id=user_id)


def _stamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def email_verification_requested(
    user_id: str, reason: str, expires_at: datetime, actor: Actor | None
) -> Envelope:
    payload = identity_pb2.EmailVerificationRequested(
        user_id=user_id, reason=reason, expires_at=_stamp(expires_at)
    )
    return build_envelope(EMAIL_VERIFICATION_REQUESTED, payload, actor=actor, user_id=user_id)


def email_verified(user_id: str, actor: Actor | None) -> Envelope:
    payload = identity_pb2.EmailVerified(user_id=user_id)
    return build_envelope(EMAIL_VERIFIED, payload, actor=actor, user_id=user_id)


def password_reset_requested(
    user_id: str, expires_at: datetime, invalidated: int, actor: Actor | None
) -> Envelope:
    payload = identity_pb2.PasswordResetRequested(
        user_id=user_id, expires_at=_stamp(expires_at), invalidated_tokens=invalidated
    )
    return build_envelope(PASSWORD_RESET_REQUESTED, payload, actor=actor, user_id=user_id)


def password_reset_completed(user_id: str, actor: Actor | None) -> Envelope:
    payload = identity_pb2.PasswordResetCompleted(user_id=user_id)
    return build_envelope(PASSWORD_RESET_COMPLETED, payload, actor=actor, user_id=user_id)


def password_changed(
    user_id: str, method: str, revoke_sessions: bool, actor: Actor | None
) -> Envelope:
    payload = identity_pb2.PasswordChanged(
        user_id=user_id, method=method, revoke_sessions=revoke_sessions
    )
    return build_envelope(PASSWORD_CHANGED, payload, actor=actor, user_id=user_id)


def user_updated(user_id: str, fields: list[str], actor: Actor | None) -> Envelope:
    payload = identity_pb2.UserUpdated(user_id=user_id, fields=fields)
    return build_envelope(USER_UPDATED, payload, actor=actor, user_id=user_id)


def email_change_requested(user_id: str, expires_at: datetime, actor: Actor | None) -> Envelope:
    payload = identity_pb2.EmailChangeRequested(user_id=user_id, expires_at=_stamp(expires_at))
    return build_envelope(EMAIL_CHANGE_REQUESTED, payload, actor=actor, user_id=user_id)


def email_changed(user_id: str, invalidated: int, actor: Actor | None) -> Envelope:
    payload = identity_pb2.EmailChanged(user_id=user_id, invalidated_tokens=invalidated)
    return build_envelope(EMAIL_CHANGED, payload, actor=actor, user_id=user_id)


def user_deletion_requested(user_id: str, expires_at: datetime, actor: Actor | None) -> Envelope:
    payload = identity_pb2.UserDeletionRequested(user_id=user_id, expires_at=_stamp(expires_at))
    return build_envelope(USER_DELETION_REQUESTED, payload, actor=actor, user_id=user_id)


def user_deleted(user_id: str, method: str, actor: Actor | None) -> Envelope:
    payload = identity_pb2.UserDeleted(user_id=user_id, method=method)
    return build_envelope(USER_DELETED, payload, actor=actor, user_id=user_id)


def phone_code_requested(
    user_id: str, purpose: str, expires_at: datetime, actor: Actor | None
) -> Envelope:
    payload = identity_pb2.PhoneCodeRequested(
        user_id=user_id, purpose=purpose, expires_at=_stamp(expires_at)
    )
    return build_envelope(PHONE_CODE_REQUESTED, payload, actor=actor, user_id=user_id)


def phone_code_failed(purpose: str, reason: str, actor: Actor | None) -> Envelope:
    payload = identity_pb2.PhoneCodeFailed(purpose=purpose, reason=reason)
    return build_envelope(PHONE_CODE_FAILED, payload, actor=actor)


def phone_number_verified(user_id: str, method: str, actor: Actor | None) -> Envelope:
    payload = identity_pb2.PhoneNumberVerified(user_id=user_id, method=method)
    return build_envelope(PHONE_NUMBER_VERIFIED, payload, actor=actor, user_id=user_id)


def email_code_requested(
    user_id: str, otp_type: str, expires_at: datetime, actor: Actor | None
) -> Envelope:
    payload = passwordless_pb2.EmailCodeRequested(
        user_id=user_id, otp_type=otp_type, expires_at=_stamp(expires_at)
    )
    return build_envelope(EMAIL_CODE_REQUESTED, payload, actor=actor, user_id=user_id)


def email_code_failed(user_id: str, otp_type: str, reason: str, actor: Actor | None) -> Envelope:
    payload = passwordless_pb2.EmailCodeFailed(user_id=user_id, otp_type=otp_type, reason=reason)
    return build_envelope(EMAIL_CODE_FAILED, payload, actor=actor, user_id=user_id)


def magic_link_requested(user_id: str, expires_at: datetime, actor: Actor | None) -> Envelope:
    payload = passwordless_pb2.MagicLinkRequested(user_id=user_id, expires_at=_stamp(expires_at))
    return build_envelope(MAGIC_LINK_REQUESTED, payload, actor=actor, user_id=user_id)


def user_banned(
    user_id: str, reason: str, expires_at: datetime | None, actor: Actor | None
) -> Envelope:
    payload = admin_pb2.UserBanned(user_id=user_id, reason=reason)
    if expires_at is not None:
        payload.expires_at.CopyFrom(_stamp(expires_at))
    return build_envelope(USER_BANNED, payload, actor=actor, user_id=user_id)


def user_unbanned(user_id: str, method: str, actor: Actor | None) -> Envelope:
    payload = admin_pb2.UserUnbanned(user_id=user_id, method=method)
    return build_envelope(USER_UNBANNED, payload, actor=actor, user_id=user_id)
