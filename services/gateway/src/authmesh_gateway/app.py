"""The gateway's FastAPI application and its composition root."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import APIRouter, FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

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
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.feed.hub import FeedHub
from authmesh_gateway.http_io import error_response
from authmesh_gateway.routes import (
    account,
    admin,
    admin_risk,
    admin_sessions,
    audit,
    audit_feed,
    email_otp,
    email_password,
    jwt,
    magic_link,
    organization,
    organization_members,
    organization_roles,
    organization_teams,
    passkey,
    password,
    phone_number,
    session,
    test_outbox,
    test_passkey_page,
    two_factor,
    user,
    username,
    verification,
)
from authmesh_gateway.security.middleware import RequestSecurity
from authmesh_gateway.security.origins import TrustedOrigins
from authmesh_gateway.security.rate_limit import LocalBuckets, RateLimiter, RedisBuckets
from authmesh_gateway.security.refusals import RefusalReporter, RouteTemplates
from authmesh_gateway.sessions.cache import SessionCache
from authmesh_gateway.sessions.jwt_cache import JwtCache
from authmesh_gateway.sessions.revocations import RevocationListener
from authmesh_gateway.settings import GatewaySettings
from authmesh_gateway.tracing import TraceContextMiddleware
from authmesh_gateway.wire.client_ip import TrustedProxies
from authmesh_gateway.wire.cookies import CookieNames
from authmesh_gateway.wire.errors import ApiError
from authmesh_kit.runtime import ServiceRuntime
from authmesh_kit.settings import Mode

BASE_PATH = "/api/auth"
EXTRAS_PATH = "/api"  # Authmesh endpoints beside Better-Auth's
_GET_SESSION_PATH = f"{BASE_PATH}/get-session".encode()
log = structlog.get_logger(__name__)
_NOT_FOUND = Response(b"", 404)


class UndecodedPaths:
    """Better-Auth routes on the path exactly as sent, so `/api/auth/%6Fk` is no route
    (WIRE-NOTES §2), while ASGI servers percent-decode `scope["path"]` and would route it to
    /ok. No Better-Auth path holds a `%`, so a raw path with one is the router's 404 at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"%" in (scope.get("raw_path") or b""):
            await _NOT_FOUND(scope, receive, send)
            return
        await self.app(scope, receive, send)


class GetSessionFastPath:
    """`GET /get-session` is every app's hot path (DESIGN §2): it is answered straight from
    ASGI, in front of FastAPI and its middleware stack, which cost about half of each
    request when measured. A cache miss still goes through the same route
    function; only the framework around it is skipped. Matching the raw path keeps
    `/get-sessio%6E` a 404, as in Better-Auth."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope.get("raw_path") != _GET_SESSION_PATH
        ):
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app  # where routes find the gateway's context
        try:
            response = await session.get_session(Request(scope, receive))
        except Exception:
            log.exception("get-session failed")
            response = Response(b"", 500)
        await response(scope, receive, send)


def create_app(settings: GatewaySettings) -> ASGIApp:
    trusted_origins = TrustedOrigins.for_gateway(settings.base_url, settings.trusted_origin_list())
    trusted_proxies = TrustedProxies.parse(settings.trusted_proxy_list())
    shared_buckets = RedisBuckets.connect(settings.redis_url, settings.rate_limit_timeout_s)
    limiter = RateLimiter(shared_buckets, LocalBuckets(), open_for_s=settings.rate_limit_breaker_s)
    refusals = RefusalReporter(settings.namespace)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime("gateway", settings)
        timeout = settings.rpc_timeout_s
        cache = SessionCache(settings.session_cache_ttl_s)
        identity_channel = runtime.channel("identity", settings.identity_addr, timeout)
        session_channel = runtime.channel("session", settings.session_addr, timeout)
        mfa_channel = runtime.channel("mfa", settings.mfa_addr, timeout)
        feed = FeedHub(runtime.nats, settings.namespace)
        org_channel = runtime.channel("org", settings.org_addr, timeout)
        risk_channel = runtime.channel("risk", settings.risk_addr, timeout)
        app.state.ctx = GatewayContext(
            settings=settings,
            identity=IdentityClient(identity_channel),
            passwordless=PasswordlessClient(identity_channel),
            admin=AdminClient(identity_channel),
            session=SessionClient(session_channel),
            cache=cache,
            cookies=CookieNames.for_base_url(
                settings.cookie_prefix,
                settings.base_url,
                cross_subdomain=settings.cross_subdomain_cookies,
                domain=settings.cookie_domain,
            ),
            secrets=settings.cookie_secrets(),
            trusted_proxies=trusted_proxies,
            trusted_origins=trusted_origins,
            tokens=TokenClient(session_channel),
            jwts=JwtCache(),
            passkeys=PasskeyClient(mfa_channel),
            two_factor=TwoFactorClient(mfa_channel),
            audit=AuditClient(runtime.channel("audit", settings.audit_addr, timeout)),
            feed=feed,
            org=OrgClient(org_channel),
            risk=RiskClient(risk_channel, settings.risk_timeout_ms / 1000),
        )
        listener = RevocationListener(runtime.nats, cache, settings.namespace)
        runtime.nats.start()
        runtime.spawn(listener.run(), "revocation-listener")
        runtime.spawn(feed.run(), "audit-feed")
        runtime.spawn(refusals.run(runtime.nats), "refusal-events")
        try:
            yield
        finally:
            await runtime.close()
            await shared_buckets.close()

    app = FastAPI(
        title="Authmesh",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,  # Better-Auth: a trailing slash is another, unknown path
        # FastAPI's own OpenTelemetry would double TraceContextMiddleware's span at ~20% of a
        # request's cost; one lean span per request is enough.
        telemetry={"tracing": False, "metrics": False},
    )
    app.add_middleware(TraceContextMiddleware)
    app.add_middleware(UndecodedPaths)
    mounted: list[tuple[str, APIRouter]] = [
        (BASE_PATH, email_password.router),
        (BASE_PATH, session.router),
        (BASE_PATH, jwt.router),
        (BASE_PATH, verification.router),
        (BASE_PATH, password.router),
        (BASE_PATH, user.router),
        (BASE_PATH, email_otp.router),
        (BASE_PATH, magic_link.router),
        (BASE_PATH, username.router),
        (BASE_PATH, phone_number.router),
        (BASE_PATH, account.router),
        (BASE_PATH, admin.router),
        (BASE_PATH, admin_sessions.router),
        (EXTRAS_PATH, admin_risk.router),
        (BASE_PATH, passkey.router),
        (BASE_PATH, two_factor.router),
        (EXTRAS_PATH, two_factor.extras),
        (EXTRAS_PATH, audit.router),
        (EXTRAS_PATH, audit_feed.router),
        (BASE_PATH, organization.router),
        (BASE_PATH, organization_members.router),
        (BASE_PATH, organization_teams.router),
        (BASE_PATH, organization_roles.router),
        (EXTRAS_PATH, organization_teams.extras),
    ]
    for prefix, router in mounted:
        app.include_router(router, prefix=prefix)
    if settings.mode is Mode.TEST:  # test-outbox.md: never in development or production
        app.include_router(test_outbox.router)
        app.include_router(test_passkey_page.router)

    @app.exception_handler(ApiError)
    async def on_api_error(_: Request, error: ApiError) -> Response:
        return error_response(error)

    @app.exception_handler(HTTPException)
    async def on_http_exception(_: Request, error: HTTPException) -> Response:
        # Better-Auth's router answers unknown paths and wrong methods alike: 404, empty body.
        status = 404 if error.status_code in (404, 405) else error.status_code
        return Response(b"", status)

    @app.exception_handler(Exception)
    async def on_unhandled(_: Request, __: Exception) -> Response:
        return Response(b"", 500)

    # The edge (rate limit, CORS, security headers) wraps the get-session fast path too.
    return RequestSecurity(
        GetSessionFastPath(app),
        trusted_origins=trusted_origins,
        trusted_proxies=trusted_proxies,
        limiter=limiter,
        refusals=refusals,
        route_of=RouteTemplates(mounted).of,
        namespace=settings.namespace,
        https=settings.base_url.lower().startswith("https:"),
        exempt_test_paths=settings.mode is Mode.TEST,
    )
