"""The notify messages identity sends (types and fields of shared/better-auth/test-outbox.md).

Each is sealed by the outbox and written in the same transaction as the secret it carries, so a
message exists exactly when its token does. Notices carry no secret.
"""

from datetime import datetime, timedelta

from authmesh_kit.events.notifications import EMAIL, SMS, Message, build_message

VERIFY_EMAIL = "verify-email"
RESET_PASSWORD = "reset-password"  # noqa: S105 - a message type, not a password
PASSWORD_CHANGED = "password-changed"  # noqa: S105 - a message type, not a password
PHONE_OTP = "phone-otp"
PHONE_RESET_OTP = "phone-reset-otp"
EMAIL_CHANGED = "email-changed"
DELETE_ACCOUNT = "delete-account"
EMAIL_OTP = "email-otp"
MAGIC_LINK = "magic-link"
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


def email_changed(*, to: str, user_id: str, new_email: str, now: datetime) -> Message:
    """Tells the old address that the account moved to `new_email` (ASVS 6.3.7): its owner is
    the one who can tell a takeover from a change of their own."""
    return build_message(
        EMAIL_CHANGED,
        channel=EMAIL,
        to=to,
        expires_at=now + NOTICE_LIFETIME,
        fields={"newEmail": new_email},
        user_id=user_id,
    )


def delete_account(*, to: str, user_id: str, token: str, url: str, expires_at: datetime) -> Message:
    return build_message(
        DELETE_ACCOUNT,
        channel=EMAIL,
        to=to,
        expires_at=expires_at,
        fields={"token": token, "url": url},
        user_id=user_id,
    )


def phone_code(type_: str, *, to: str, user_id: str, code: str, expires_at: datetime) -> Message:
    """A text message carrying a phone code (`phone-otp` or `phone-reset-otp`), to the number
    exactly as the user typed it."""
    return build_message(
        type_, channel=SMS, to=to, expires_at=expires_at, fields={"otp": code}, user_id=user_id
    )


def email_otp(*, to: str, user_id: str, otp: str, otp_type: str, expires_at: datetime) -> Message:
    """A short code for one emailOTP flow (`otp_type`: sign-in, email-verification, ...); the
    user may not exist yet (a sign-in code to a new address)."""
    return build_message(
        EMAIL_OTP,
        channel=EMAIL,
        to=to,
        expires_at=expires_at,
        fields={"otp": otp, "otpType": otp_type},
        user_id=user_id,
    )


def magic_link(*, to: str, user_id: str, token: str, url: str, expires_at: datetime) -> Message:
    return build_message(
        MAGIC_LINK,
        channel=EMAIL,
        to=to,
        expires_at=expires_at,
        fields={"token": token, "url": url},
        user_id=user_id,
    )
