"""The identity domain's objects."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str
    email_verified: bool
    image: str | None
    created_at: datetime
    updated_at: datetime
    two_factor_enabled: bool = False
    username: str | None = None
    display_username: str | None = None
    phone_number: str | None = None
    phone_number_verified: bool = False
    role: str = "user"
    banned: bool = False
    ban_reason: str | None = None
    ban_expires: datetime | None = None

    def is_banned(self, now: datetime) -> bool:
        """An expired ban lifts itself."""
        return self.banned and (self.ban_expires is None or self.ban_expires > now)


@dataclass(frozen=True)
class NewUser:
    id: str
    name: str
    email: str
    image: str | None
    role: str = "user"
    email_verified: bool = False


@dataclass(frozen=True)
class UserWithPassword:
    user: User
    password_hash: str


@dataclass(frozen=True)
class OneTimeToken:
    """A one-time secret as stored: only its hash, bound to its purpose, user and address."""

    token_hash: bytes
    purpose: str
    user_id: str
    email: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenState:
    """What a lookup (without consuming) finds of a token."""

    user_id: str
    email: str
    expires_at: datetime
    consumed: bool


@dataclass(frozen=True)
class AccountFlowPolicy:
    """The operator's choices for the account flows (settings.py), as the domain sees them."""

    base_url: str  # the public origin links are built from, without a trailing slash
    email_verification_expires_in: timedelta = timedelta(hours=1)
    reset_password_expires_in: timedelta = timedelta(hours=1)
    require_email_verification: bool = False
    send_verification_on_sign_up: bool = True
    send_verification_on_sign_in: bool = True
