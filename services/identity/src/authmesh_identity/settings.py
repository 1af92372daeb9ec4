"""Settings of the identity service."""

from datetime import timedelta
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from authmesh_identity.domain.model import AccountFlowPolicy
from authmesh_kit.settings import DatabaseServiceSettings


class IdentitySettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_IDENTITY_DATABASE_URL")
    # argon2id; OWASP's m=19 MiB, t=2, p=1 is the floor (DESIGN §4).
    argon2_memory_kib: int = Field(default=19_456, ge=19_456)
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_parallelism: int = Field(default=1, ge=1)
    password_min_length: int = Field(default=8, ge=8)
    password_max_length: int = Field(default=128, ge=64, le=4096)
    admin_email: str | None = None
    admin_password: SecretStr | None = None
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

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"AUTHMESH_BASE_URL must be an http(s) URL: {value!r}")
        if parts.query or parts.fragment:
            raise ValueError("AUTHMESH_BASE_URL takes no query or fragment")
        return value.rstrip("/")

    def account_flow_policy(self) -> AccountFlowPolicy:
        return AccountFlowPolicy(
            base_url=self.base_url,
            email_verification_expires_in=timedelta(seconds=self.email_verification_expires_in_s),
            reset_password_expires_in=timedelta(seconds=self.reset_password_expires_in_s),
            require_email_verification=self.require_email_verification,
            send_verification_on_sign_up=self.send_verification_on_sign_up,
            send_verification_on_sign_in=self.send_verification_on_sign_in,
        )
