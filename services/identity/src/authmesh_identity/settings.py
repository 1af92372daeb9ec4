"""Settings of the identity service."""

from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from authmesh_identity.domain.admin_permissions import ROLES, AdminPolicy
from authmesh_identity.domain.model import AccountFlowPolicy, PasswordlessPolicy
from authmesh_identity.domain.one_time_codes import CodePolicy
from authmesh_identity.domain.passwords import (
    NIST_MAX_CONSECUTIVE_FAILURES,
    STRICT_MIN_LENGTH,
    PasswordPolicy,
    ThrottlePolicy,
)
from authmesh_kit.settings import DatabaseServiceSettings


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class PolicyChoice(StrEnum):
    NIST = "nist"  # SP 800-63B: length bounds and the blocklist, no composition rules
    STRICT = "strict"  # also 12+ characters with upper, lower, digit and symbol


class IdentitySettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_IDENTITY_DATABASE_URL")
    # argon2id; OWASP's m=19 MiB, t=2, p=1 is the floor (DESIGN §4).
    argon2_memory_kib: int = Field(default=19_456, ge=19_456)
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_parallelism: int = Field(default=1, ge=1)
    password_min_length: int = Field(default=8, ge=8)
    password_max_length: int = Field(default=128, ge=64, le=4096)
    password_policy: PolicyChoice = PolicyChoice.NIST
    # Throttling of password checks (domain/password_throttle.py): from `lock_after`
    # consecutive failures from one address on one account, each failure delays that address
    # (`delay_s`, doubling up to `lock_for_s`); at `disable_after` consecutive failures from
    # anywhere (NIST: at most 100) only a password reset or an admin's unlock opens the account.
    password_lock_after: int = Field(default=5, ge=1, le=NIST_MAX_CONSECUTIVE_FAILURES)
    password_lock_for_s: int = Field(default=900, ge=0, le=24 * 3600)
    password_delay_s: int = Field(default=30, ge=0, le=24 * 3600)
    password_disable_after: int = Field(
        default=NIST_MAX_CONSECUTIVE_FAILURES, ge=1, le=NIST_MAX_CONSECUTIVE_FAILURES
    )
    admin_email: str | None = None
    admin_password: SecretStr | None = None
    # Better-Auth's admin plugin (domain/admin_permissions.py): the roles whose users count as
    # admins, whom only `impersonate-admins` may impersonate (`adminRoles`, comma separated);
    # users who may do everything (`adminUserIds`); `allowImpersonatingAdmins`; the answer to a
    # banned user's sign-in (`bannedUserMessage`).
    admin_roles: str = "admin"
    admin_user_ids: str = ""
    admin_allow_impersonating_admins: bool = False
    banned_user_message: str = Field(default=AdminPolicy.banned_user_message, min_length=1)
    # The admin listing's statement timeout, which bounds substring search (the one listing
    # that may read the whole users table).
    admin_search_timeout_ms: int = Field(default=2000, ge=100, le=30_000)
    # Identity seals the messages that carry its one-time secrets (kit crypto/key_ring.py).
    encryption_keys: SecretStr
    # The public URL of the gateway: every link mailed to users is built from it, never from
    # a request's Host or X-Forwarded-Host.
    base_url: str
    require_email_verification: bool = False
    send_verification_on_sign_up: bool = True
    # With verification required, a sign-in with an unverified address mails a new link.
    send_verification_on_sign_in: bool = True
    email_verification_expires_in_s: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    reset_password_expires_in_s: int = Field(default=3600, ge=60, le=24 * 3600)
    # emailOTP (api.md §9.4): codes of 6+ digits (ASVS 6.5.4) living at most 10 minutes (ASVS
    # 6.5.5), a few guesses each; an unknown address signs up unless sign-up is disabled.
    email_otp_length: int = Field(default=6, ge=6, le=10)
    email_otp_expires_in_s: int = Field(default=300, ge=30, le=600)
    email_otp_allowed_attempts: int = Field(default=3, ge=1, le=10)
    email_otp_disable_sign_up: bool = False
    # magicLink (api.md §9.5): single-use sign-in links.
    magic_link_expires_in_s: int = Field(default=300, ge=30, le=3600)
    magic_link_disable_sign_up: bool = False
    # Phone-number sign-up on verification; the new user's address is `<digits>@<domain>`, a
    # placeholder that never receives mail. RFC 2606 reserves .invalid, and identity's email
    # rules refuse it, so no one can sign up with a placeholder address (and so block that
    # number's sign-up) nor have mail sent to one; another domain loses both properties.
    phone_sign_up_on_verification: bool = True
    phone_sign_up_email_domain: str = Field(
        default="phone.invalid", pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+$"
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"AUTHMESH_BASE_URL must be an http(s) URL: {value!r}")
        if parts.query or parts.fragment:
            raise ValueError("AUTHMESH_BASE_URL takes no query or fragment")
        return value.rstrip("/")

    @field_validator("admin_roles")
    @classmethod
    def _check_admin_roles(cls, value: str) -> str:
        unknown = set(_split(value)) - set(ROLES)
        if unknown:
            raise ValueError(f"AUTHMESH_ADMIN_ROLES names roles that do not exist: {unknown}")
        return value

    @model_validator(mode="after")
    def _check_throttle(self) -> "IdentitySettings":
        if self.password_lock_after > self.password_disable_after:
            raise ValueError("AUTHMESH_PASSWORD_LOCK_AFTER exceeds AUTHMESH_PASSWORD_DISABLE_AFTER")
        return self

    def password_rules(self, blocklist: frozenset[str]) -> PasswordPolicy:
        strict = self.password_policy is PolicyChoice.STRICT
        return PasswordPolicy(
            min_length=max(self.password_min_length, STRICT_MIN_LENGTH)
            if strict
            else self.password_min_length,
            max_length=self.password_max_length,
            blocklist=blocklist,
            require_character_classes=strict,
            throttle=ThrottlePolicy(
                lock_after=self.password_lock_after,
                lock_for=timedelta(seconds=self.password_lock_for_s),
                disable_after=self.password_disable_after,
                delay=timedelta(seconds=self.password_delay_s),
            ),
        )

    def admin_policy(self) -> AdminPolicy:
        return AdminPolicy(
            admin_roles=frozenset(_split(self.admin_roles)),
            admin_user_ids=frozenset(_split(self.admin_user_ids)),
            allow_impersonating_admins=self.admin_allow_impersonating_admins,
            banned_user_message=self.banned_user_message,
        )

    def account_flow_policy(self) -> AccountFlowPolicy:
        return AccountFlowPolicy(
            base_url=self.base_url,
            email_verification_expires_in=timedelta(seconds=self.email_verification_expires_in_s),
            reset_password_expires_in=timedelta(seconds=self.reset_password_expires_in_s),
            require_email_verification=self.require_email_verification,
            send_verification_on_sign_up=self.send_verification_on_sign_up,
            send_verification_on_sign_in=self.send_verification_on_sign_in,
            phone_sign_up_on_verification=self.phone_sign_up_on_verification,
            phone_sign_up_email_domain=self.phone_sign_up_email_domain,
        )

    def passwordless_policy(self) -> PasswordlessPolicy:
        return PasswordlessPolicy(
            email_otp=CodePolicy(
                length=self.email_otp_length,
                lifetime=timedelta(seconds=self.email_otp_expires_in_s),
                attempts_per_code=self.email_otp_allowed_attempts,
            ),
            email_otp_sign_up=not self.email_otp_disable_sign_up,
            magic_link_expires_in=timedelta(seconds=self.magic_link_expires_in_s),
            magic_link_sign_up=not self.magic_link_disable_sign_up,
        )
