"""Everything a route needs, built once per process by the app's lifespan."""

from dataclasses import dataclass, field

from starlette.requests import Request

from authmesh_gateway.clients.admin import AdminClient
from authmesh_gateway.clients.audit import AuditClient
from authmesh_gateway.clients.identity import IdentityClient
from authmesh_gateway.clients.org import OrgClient
from authmesh_gateway.clients.passkey import PasskeyClient
from authmesh_gateway.clients.passwordless import PasswordlessClient
from authmesh_gateway.clients.risk import RiskClient
from authmesh_gateway.clients.session import SessionClient
from authmesh_gateway.clients.tokens import TokenClient
from authmesh_gateway.clients.two_factor import TwoFactorClient
from authmesh_gateway.feed.hub import FeedHub
from authmesh_gateway.security.origins import TrustedOrigins
from authmesh_gateway.sessions.cache import SessionCache
from authmesh_gateway.sessions.jwt_cache import JwtCache
from authmesh_gateway.settings import GatewaySettings
from authmesh_gateway.wire.client_ip import TrustedProxies
from authmesh_gateway.wire.cookie_cache import CookieCacheClaims
from authmesh_gateway.wire.cookies import CookieNames


@dataclass(frozen=True)
class GatewayContext:
    settings: GatewaySettings
    identity: IdentityClient
    passwordless: PasswordlessClient  # identity's emailOTP and magicLink flows
    admin: AdminClient  # identity's AdminService (the admin plugin)
    session: SessionClient
    cache: SessionCache
    cookies: CookieNames
    secrets: list[str]
    trusted_proxies: TrustedProxies
    trusted_origins: TrustedOrigins
    tokens: TokenClient  # the session service's TokenService: JWTs and the JWKS
    jwts: JwtCache
    passkeys: PasskeyClient  # mfa's PasskeyService
    two_factor: TwoFactorClient  # mfa's TwoFactorService
    audit: AuditClient  # the audit log: listing, export, chain check
    feed: FeedHub  # the live audit feed (routes/audit_feed.py)
    org: OrgClient  # the org service (Better-Auth's organization plugin)
    risk: RiskClient  # the risk service: Assess on every sign-in (sessions/risk.py)
    # Signed cookie values already verified, to their token: a repeat visit skips URL-decoding
    # and HMAC. Only verified values enter, so a forged cookie never matches.
    verified_cookies: dict[str, str] = field(default_factory=dict)
    # `session_data` cookies already verified, to what they claim: deciding whether an answer
    # must carry a fresh one then costs a lookup. Never used to authorize anything.
    cookie_caches: dict[str, CookieCacheClaims] = field(default_factory=dict)


def context_of(request: Request) -> GatewayContext:
    context: GatewayContext = request.app.state.ctx
    return context
