"""The identity domain's objects."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from authmesh_identity.domain.one_time_codes import CodePolicy


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
    username: str | None = None  # normalized (domain/usernames.py)
    display_username: str | None = None
    phone_number: str | None = None  # only ever set verified (domain/phone_numbers.py)
    phone_number_verified: bool = False


@dataclass(frozen=True)
class ProfileUpdate:
    """What update-user changes: a field left None is kept, a `clear_*` flag empties it."""

    name: str | None = None
    image: str | None = None
    clear_image: bool = False
    username: str | None = None  # as typed; update_user lower-cases it
    clear_username: bool = False
    display_username: str | None = None
    clear_display_username: bool = False
    clear_phone_number: bool = False  # also unverifies it; a number is only set by verifying

    def changed_fields(self) -> list[str]:
        """The user fields it touches, for the user.updated event (names, never values)."""
        changes = (
            ("name", self.name is not None),
            ("image", self.image is not None or self.clear_image),
            ("username", self.username is not None or self.clear_username),
            ("display_username", self.display_username is not None or self.clear_display_username),
            ("phone_number", self.clear_phone_number),
        )
        return [field for field, changed in changes if changed]


@dataclass(frozen=True)
class UserWithPassword:
    user: User
    password_hash: str


@dataclass(frozen=True)
class OneTimeToken:
    """A one-time secret as stored: only its hash, bound to its purpose, user and address."""

    token_hash: bytes
    purpose: str
    user_id: str | None  # None only for a link that may create its user (a magic link)
    email: str
    expires_at: datetime
    new_user_name: str | None = None  # the name a link that creates its user gives it


@dataclass(frozen=True)
class TokenState:
    """What a lookup (without consuming) finds of a token."""

    user_id: str | None
    email: str
    expires_at: datetime
    consumed: bool
    new_user_name: str | None = None


@dataclass(frozen=True)
class AccountFlowPolicy:
    """The operator's choices for the account flows (settings.py), as the domain sees them."""

    base_url: str  # the public origin links are built from, without a trailing slash
    email_verification_expires_in: timedelta = timedelta(hours=1)
    reset_password_expires_in: timedelta = timedelta(hours=1)
    require_email_verification: bool = False
    send_verification_on_sign_up: bool = True
    send_verification_on_sign_in: bool = True
    # A verified phone number no user has creates one (Better-Auth's signUpOnVerification),
    # whose address is the placeholder `<digits>@<phone_sign_up_email_domain>`.
    phone_sign_up_on_verification: bool = True
    phone_sign_up_email_domain: str = "phone.invalid"


@dataclass(frozen=True)
class PasswordlessPolicy:
    """The operator's choices for sign-in by proof of an email address (Better-Auth's emailOTP
    and magicLink plugins; settings.py)."""

    email_otp: CodePolicy = field(default_factory=CodePolicy)
    email_otp_sign_up: bool = True  # an unknown address signs up (emailOTP's !disableSignUp)
    magic_link_expires_in: timedelta = timedelta(minutes=5)
    magic_link_sign_up: bool = True  # magicLink's !disableSignUp
