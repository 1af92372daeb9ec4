"""What notify delivers: a notification opened from the NOTIFY queue, and the email or SMS
rendered from it.

The message types and the fields each one's templates read. The owning service (identity, org)
fills `fields`; templates of optional fields test them with `is defined`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


# type → the fields its templates need (optional ones in parentheses in the comment).
MESSAGE_TYPES: Mapping[str, tuple[str, ...]] = {
    "verify-email": ("url",),  # (token, name)
    "reset-password": ("url",),  # (token, name)
    "email-otp": ("otp", "otpType"),
    "magic-link": ("url",),  # (token)
    "two-factor-otp": ("otp",),
    "phone-otp": ("otp",),
    "phone-reset-otp": ("otp",),
    "delete-account": ("url",),  # (token)
    # (url, organizationName, inviterName; invitationId and organizationId for the test outbox)
    "organization-invitation": ("role", "inviterEmail"),
    "password-changed": (),
    "email-changed": (),  # (newEmail)
    # the risk service: a sign-in from a device or country the user never used (device, place, ip)
    "new-sign-in": ("time",),
}


@dataclass(frozen=True)
class Notification:
    id: str
    type: str
    channel: Channel
    to: str
    expires_at: datetime
    fields: Mapping[str, str] = field(default_factory=dict)
    locale: str = ""


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Sms:
    to: str
    body: str
