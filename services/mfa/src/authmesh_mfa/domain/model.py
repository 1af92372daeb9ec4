"""The mfa domain's objects for second factors (Better-Auth's twoFactor plugin)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from authmesh_kit.crypto.key_ring import Sealed


class Method(StrEnum):
    """A second factor, named as Better-Auth's `twoFactorMethods` and events name it."""

    TOTP = "totp"
    OTP = "otp"  # a code mailed for one challenge or session
    BACKUP_CODE = "backup_code"
    TRUSTED_DEVICE = "trusted_device"


@dataclass(frozen=True)
class TwoFactorPolicy:
    """The operator's choices (settings.py), as the domain sees them."""

    totp_issuer: str = "Authmesh"
    challenge_lifetime: timedelta = timedelta(minutes=10)
    challenge_attempts: int = 5
    lock_after: int = 10
    lock_for: timedelta = timedelta(minutes=15)
    otp_lifetime: timedelta = timedelta(minutes=3)
    otp_attempts: int = 5
    trusted_device_lifetime: timedelta = timedelta(days=30)
    backup_code_iterations: int = 10_000


@dataclass(frozen=True)
class Factors:
    """A user's second factors as stored; one row per user that ever started using them."""

    user_id: str
    totp_secret: Sealed | None  # sealed; bound to the user (domain/totp.py)
    totp_issuer: str | None
    totp_verified: bool
    otp_enabled: bool
    last_totp_step: int | None  # the newest time step a sign-in accepted
    backup_code_salt: bytes | None
    failed_count: int
    locked_until: datetime | None

    @property
    def enabled(self) -> bool:
        return self.totp_verified or self.otp_enabled

    def methods(self) -> list[str]:
        """Better-Auth's `twoFactorMethods`, in its order. Unlike Better-Auth, which offers a
        mailed code to every two-factor user, only users who turned that method on get it: a
        TOTP user's second factor must not fall back to the mailbox the password resets go to."""
        methods = []
        if self.totp_verified:
            methods.append(Method.TOTP.value)
        if self.otp_enabled:
            methods.append(Method.OTP.value)
        return methods

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True)
class Challenge:
    """A sign-in waiting for its second factor (the `two_factor` cookie carries its id)."""

    user_id: str
    email: str
    dont_remember: bool
    attempts: int  # tries so far, this one included
    expires_at: datetime
    risk_otp: bool = False  # risk asked for it: a mailed code answers it, factors or not


@dataclass(frozen=True)
class NewChallenge:
    id_hash: bytes
    user_id: str
    email: str
    dont_remember: bool
    first_factor: str
    expires_at: datetime
    risk_otp: bool = False


@dataclass(frozen=True)
class FailureCount:
    """The user's consecutive failures after one more, and the lock they started, if any."""

    failed_count: int
    locked_until: datetime | None


@dataclass(frozen=True)
class FactorChange:
    """Two-factor turned on or off at `changed_at`, which orders changes for identity."""

    enabled: bool
    changed_at: datetime


@dataclass(frozen=True)
class IssuedTrustedDevice:
    device_id: str
    expires_at: datetime
