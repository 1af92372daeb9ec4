"""Settings of the session service (Better-Auth's session options, seed defaults)."""

from datetime import timedelta
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from authmesh_kit.settings import SERVICE_NAMES, DatabaseServiceSettings
from authmesh_session.domain.signing_keys import JwtPolicy

DAY_S = 24 * 3600


class SessionSettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_SESSION_DATABASE_URL")
    session_expires_in_s: int = Field(default=30 * DAY_S, ge=60)
    session_update_age_s: int = Field(default=DAY_S, ge=0)
    dont_remember_expires_in_s: int = Field(default=DAY_S, ge=60)
    # Better-Auth's admin `impersonationSessionDuration`: how long an admin's session as a user
    # lives (never refreshed).
    impersonation_expires_in_s: int = Field(default=3600, ge=60, le=DAY_S)
    # The jwt plugin (api.md §7, §9.11). `iss` and `aud` default to the public URL's origin,
    # as in Better-Auth. Signing keys rotate every `jwt_rotation_interval_s` and stay in the
    # JWKS for `jwt_grace_period_s` after (at least the token lifetime); their private halves
    # are sealed with AUTHMESH_ENCRYPTION_KEYS.
    base_url: str
    encryption_keys: SecretStr
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwt_expires_in_s: int = Field(default=15 * 60, ge=30, le=DAY_S)
    jwt_rotation_interval_s: int = Field(default=30 * DAY_S, ge=60)
    jwt_grace_period_s: int = Field(default=30 * DAY_S, ge=30)
    # Backends outside Authmesh that may call TokenService.ValidateSession and GetJwks: comma
    # separated service names, each with its public key in AUTHMESH_SERVICE_PUBLIC_KEYS.
    token_service_callers: str = ""

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"AUTHMESH_BASE_URL must be an http(s) URL: {value!r}")
        return value

    @model_validator(mode="after")
    def _check_jwt_policy(self) -> "SessionSettings":
        self.jwt_policy()  # raises when the grace period is shorter than the tokens live
        return self

    def jwt_policy(self) -> JwtPolicy:
        parts = urlsplit(self.base_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        return JwtPolicy(
            issuer=self.jwt_issuer or origin,
            audience=self.jwt_audience or origin,
            expires_in=timedelta(seconds=self.jwt_expires_in_s),
            rotation_interval=timedelta(seconds=self.jwt_rotation_interval_s),
            grace_period=timedelta(seconds=self.jwt_grace_period_s),
        )

    def token_callers(self) -> frozenset[str]:
        """Who may validate session tokens and read the JWKS: every Authmesh service but this
        one, and the configured backends."""
        extra = (name.strip() for name in self.token_service_callers.split(","))
        return frozenset(SERVICE_NAMES).difference({"session"}).union(filter(None, extra))
