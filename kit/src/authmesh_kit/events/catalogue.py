"""The catalogue of every event type and its payload message (DESIGN §3).

A changed payload is a new type with the next version; types are never reused.
"""

from dataclasses import dataclass

from google.protobuf.message import Message

from authmesh.identity.v1 import identity_pb2, passwordless_pb2
from authmesh.session.v1 import session_pb2


@dataclass(frozen=True)
class EventType:
    name: str  # auth.<service>.<entity>.<verb>, past tense
    version: int
    payload: type[Message]

    @property
    def type(self) -> str:
        return f"{self.name}.v{self.version}"

    @property
    def producer(self) -> str:
        return self.name.split(".")[1]


USER_CREATED = EventType("auth.identity.user.created", 1, identity_pb2.UserCreated)
SIGN_IN_FAILED = EventType("auth.identity.sign_in.failed", 1, identity_pb2.SignInFailed)
USER_UPDATED = EventType("auth.identity.user.updated", 1, identity_pb2.UserUpdated)
EMAIL_VERIFICATION_REQUESTED = EventType(
    "auth.identity.email_verification.requested", 1, identity_pb2.EmailVerificationRequested
)
EMAIL_VERIFIED = EventType(
    "auth.identity.email_verification.verified", 1, identity_pb2.EmailVerified
)
PASSWORD_RESET_REQUESTED = EventType(
    "auth.identity.password_reset.requested", 1, identity_pb2.PasswordResetRequested
)
PASSWORD_RESET_COMPLETED = EventType(
    "auth.identity.password_reset.completed", 1, identity_pb2.PasswordResetCompleted
)
PASSWORD_CHANGED = EventType("auth.identity.password.changed", 1, identity_pb2.PasswordChanged)
EMAIL_CHANGE_REQUESTED = EventType(
    "auth.identity.email_change.requested", 1, identity_pb2.EmailChangeRequested
)
EMAIL_CHANGED = EventType("auth.identity.email.changed", 1, identity_pb2.EmailChanged)
USER_DELETION_REQUESTED = EventType(
    "auth.identity.user_deletion.requested", 1, identity_pb2.UserDeletionRequested
)
USER_DELETED = EventType("auth.identity.user.deleted", 1, identity_pb2.UserDeleted)
PHONE_CODE_REQUESTED = EventType(
    "auth.identity.phone_code.requested", 1, identity_pb2.PhoneCodeRequested
)
PHONE_CODE_FAILED = EventType("auth.identity.phone_code.failed", 1, identity_pb2.PhoneCodeFailed)
PHONE_NUMBER_VERIFIED = EventType(
    "auth.identity.phone_number.verified", 1, identity_pb2.PhoneNumberVerified
)
EMAIL_CODE_REQUESTED = EventType(
    "auth.identity.email_code.requested", 1, passwordless_pb2.EmailCodeRequested
)
EMAIL_CODE_FAILED = EventType(
    "auth.identity.email_code.failed", 1, passwordless_pb2.EmailCodeFailed
)
MAGIC_LINK_REQUESTED = EventType(
    "auth.identity.magic_link.requested", 1, passwordless_pb2.MagicLinkRequested
)
SESSION_CREATED = EventType("auth.session.session.created", 1, session_pb2.SessionCreated)
SESSION_REVOKED = EventType("auth.session.session.revoked", 1, session_pb2.SessionRevoked)

CATALOGUE: dict[str, EventType] = {
    event.type: event
    for event in (
        USER_CREATED,
        SIGN_IN_FAILED,
        USER_UPDATED,
        EMAIL_VERIFICATION_REQUESTED,
        EMAIL_VERIFIED,
        PASSWORD_RESET_REQUESTED,
        PASSWORD_RESET_COMPLETED,
        PASSWORD_CHANGED,
        EMAIL_CHANGE_REQUESTED,
        EMAIL_CHANGED,
        USER_DELETION_REQUESTED,
        USER_DELETED,
        PHONE_CODE_REQUESTED,
        PHONE_CODE_FAILED,
        PHONE_NUMBER_VERIFIED,
        EMAIL_CODE_REQUESTED,
        EMAIL_CODE_FAILED,
        MAGIC_LINK_REQUESTED,
        SESSION_CREATED,
        SESSION_REVOKED,
    )
}
