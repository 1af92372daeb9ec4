"""The notify messages identity sends (types and fields of shared/better-auth/test-outbox.md).

Each is sealed by the outbox and written in the same transaction as the secret it carries, so a
message exists exactly when its token does. Notices carry no secret.
"""

from datetime import datetime, timedelta

from authmesh_kit.events.notifications import EMAIL, Message, build_message

VERIFY_EMAIL = "verify-email"
RESET_PASSWORD = "reset-password"  # noqa: S105 - a message type, not a password
PASSWORD_CHANGED = "password-changed"  # noqa: S105 - a message type, not a password
# A notice is pointless once stale; the NOTIFY stream keeps nothing longer anyway.
NOTICE_LIFETIME = timedelta(hours=1)


def verify_email(*, to: str, user_id: str, token: str, url: str, expires_at: datetime) -> Message:
    return build_message(
        VERIFY_EMAIL,
        channel=EMAIL,
        to=to,
        expires_at=expires_at,
        fields={"token": token, "url": url},
        user_id=user_id,
    )


def reset_password(*, to: str, user_id: str, token: str, url: str, expires_at: datetime) -> Message:
    return build_message(
        RESET_PASSWORD,
        channel=EMAIL,
        to=to,
        expires_at=expires_at,
        fields={"token": token, "url": url},
        user_id=user_id,
    )


def password_changed(*, to: str, user_id: str, now: datetime) -> Message:
    """Tells the address on file that its password changed, by a reset or a change."""
    return build_message(
        PASSWORD_CHANGED,
        channel=EMAIL,
        to=to,
        expires_at=now + NOTICE_LIFETIME,
        fields={},
        user_id=user_id,
    )
