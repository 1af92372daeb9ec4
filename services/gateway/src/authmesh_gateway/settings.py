"""Settings of the gateway: public URL, cookies, secrets and where the services are."""

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator

from authmesh_gateway.security.urls import http_origin
from authmesh_kit.settings import Mode, ServiceSettings

MIN_SECRET_LENGTH = 32


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class GatewaySettings(ServiceSettings):
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8000, ge=1, le=65535)
    base_url: str = "http://localhost:8000"
    # Cookies are signed with the first secret and accepted with any (rotation, DESIGN §4):
    # AUTHMESH_SECRETS="v2:new,v1:old" wins over AUTHMESH_SECRET.
    secret: SecretStr | None = None
    secrets: SecretStr | None = None
    trusted_origins: str = ""
    trusted_proxies: str = ""
    cookie_prefix: str = Field(default="better-auth", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    session_expires_in_s: int = Field(default=30 * 24 * 3600, ge=60)
    session_cache_ttl_s: float = Field(default=60.0, ge=0, le=60)
    # Better-Auth's `session.freshAge` (the test deployment's 1 hour): list-sessions needs a
    # younger session, and only a younger one deletes its user without the password; 0 makes
    # every session fresh.
    session_fresh_age_s: int = Field(default=3600, ge=0)
    # Better-Auth's `session.cookieCache.maxAge`: how long the `session_data` cookie written for
    # apps that call getCookieCache stays valid; 0 writes none. The gateway never trusts it.
    cookie_cache_max_age_s: int = Field(default=300, ge=0, le=24 * 3600)
    # Better-Auth's `advanced.crossSubDomainCookies`: every cookie gets `Domain=`, the
    # configured one or the base URL's host.
    cross_subdomain_cookies: bool = False
    cookie_domain: str = Field(default="", pattern=r"^\.?([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+$|^$")
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    identity_addr: str = "127.0.0.1:50051"
    session_addr: str = "127.0.0.1:50052"
    mfa_addr: str = "127.0.0.1:50053"
    audit_addr: str = "127.0.0.1:50055"
    org_addr: str = "127.0.0.1:50054"
    risk_addr: str = "127.0.0.1:50056"
    # Every sign-in asks risk.Assess within this deadline; when risk does not answer in time
    # (or is down) the policy applies: `open` signs in with the factor `risk_unavailable`
    # noted, `closed` refuses with 503 RISK_UNAVAILABLE (sessions/risk.py).
    risk_timeout_ms: int = Field(default=300, ge=10, le=10_000)
    risk_failure_policy: Literal["open", "closed"] = "open"
    # Users with a second factor owe it after email-OTP, magic-link and email-verification
    # sign-ins too (Better-Auth asks only after passwords); off restores Better-Auth's way.
    two_factor_on_email_sign_in: bool = True
    # Where a magic link opened with a callbackURL sends a user who still owes a second factor
    # (like the twoFactorClient's `twoFactorPage`), relative to the base URL; empty: the
    # callbackURL. The target gets `?twoFactorRedirect=true` and the `two_factor` cookie.
    two_factor_page: str = Field(default="", max_length=2048)
    rpc_timeout_s: float = Field(default=1.0, gt=0, le=30)
    # Rate limits live in Redis (AUTHMESH_REDIS_URL); a Redis slower than this opens a breaker
    # for `rate_limit_breaker_s`, and each replica limits on its own meanwhile (DESIGN §5).
    rate_limit_timeout_s: float = Field(default=0.05, gt=0, le=1)
    rate_limit_breaker_s: float = Field(default=5.0, gt=0, le=300)

    @model_validator(mode="after")
    def _check_base_url(self) -> "GatewaySettings":
        if http_origin(self.base_url) is None:
            raise ValueError(f"AUTHMESH_BASE_URL must be an http(s) URL: {self.base_url!r}")
        return self

    @model_validator(mode="after")
    def _check_secrets(self) -> "GatewaySettings":
        secrets = self.cookie_secrets()
        if not secrets:
            raise ValueError("AUTHMESH_SECRET (or AUTHMESH_SECRETS) is required")
        if self.mode is Mode.PRODUCTION and any(len(s) < MIN_SECRET_LENGTH for s in secrets):
            raise ValueError(
                f"production secrets must have at least {MIN_SECRET_LENGTH} characters"
            )
        return self

    @model_validator(mode="after")
    def _check_cookie_domain(self) -> "GatewaySettings":
        # A browser drops a cookie whose Domain does not cover the host that set it.
        host = (urlsplit(self.base_url).hostname or "").lower()
        domain = self.cookie_domain.lstrip(".").lower()
        if domain and host != domain and not host.endswith(f".{domain}"):
            raise ValueError(
                f"AUTHMESH_COOKIE_DOMAIN {self.cookie_domain!r} does not cover the base URL's "
                f"host {host!r}"
            )
        return self

    def cookie_secrets(self) -> list[str]:
        """Newest first; versions ("v2:") only order them and are not part of the key."""
        if self.secrets is not None:
            return [
                item.partition(":")[2] or item for item in _split(self.secrets.get_secret_value())
            ]
        return [self.secret.get_secret_value()] if self.secret else []

    def trusted_origin_list(self) -> list[str]:
        """Origin patterns beyond the base URL's own origin (api.md §5)."""
        return _split(self.trusted_origins)

    def trusted_proxy_list(self) -> list[str]:
        return _split(self.trusted_proxies)
