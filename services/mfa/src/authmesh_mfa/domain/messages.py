"""The notify messages mfa sends (types and fields of shared/better-auth/test-outbox.md),
sealed by the outbox and written in the same transaction as the code they carry."""

from datetime import datetime

from authmesh_kit.events.notifications import EMAIL, Message, build_message

TWO_FACTOR_OTP = "two-factor-otp"


def two_factor_otp(*, to: str, user_id: str, otp: str, expires_at: datetime) -> Message:
    """A second-factor code, to the user's address."""
    return build_message(
        TWO_FACTOR_OTP,
        channel=EMAIL,
        to=to,
        expires_at=expires_at,
        fields={"otp": otp},
        user_id=user_id,
    )
