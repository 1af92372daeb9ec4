"""The identity domain's objects."""

from dataclasses import dataclass
from datetime import datetime


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
