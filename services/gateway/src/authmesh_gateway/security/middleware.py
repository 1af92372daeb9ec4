"""The gateway's edge: one pure-ASGI layer in front of everything, get-session's fast path
included (DESIGN §2).

Per request, in Better-Auth's order (api.md §1): a trusted origin's CORS preflight is answered
at once (it must not spend the sign-in budget of the request it announces); then the rate limit,
one Redis round trip, before any routing, so 404s and failed attempts count; then the app, whose
response start gets the security headers, `Cache-Control: no-store` under /api/auth and CORS
headers for a trusted Origin. The origin / CSRF checks run later, inside the routes, where the
peer runs them (security/csrf.py). A WebSocket handshake (the audit feeds) spends the rate limit
the same way, and nothing more happens to it here.
"""

from collections.abc import Callable

from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authmesh_gateway.security.client_ips import ClientIps
from authmesh_gateway.security.headers import (
    HSTS,
    SECURITY_HEADERS,
    Header,
    cors_headers,
    merge_token,
    preflight_headers,
    response_headers,
)
from authmesh_gateway.security.origins import TrustedOrigins
from authmesh_gateway.security.rate_limit import RateLimiter, retry_after_s
from authmesh_gateway.security.refusals import REPORTED_STATUSES, RefusalReporter, error_code
from authmesh_gateway.security.rules import BASE_PATH, NO_TRUSTED_IP, RuleBook
from authmesh_gateway.wire.client_ip import TrustedProxies
from authmesh_gateway.wire.errors import ApiError

_AUTH_PREFIX = BASE_PATH.encode() + b"/"
_AUTH_ROOT = BASE_PATH.encode()
_TEST_PREFIX = b"/__test/"
_MAX_MEMO = 4096
_RESPONSES = Counter(
    "authmesh_gateway_http_requests_total", "HTTP responses by status class", ["status_class"]
)
# Resolved once: a request costs one dict lookup and one increment.
_BY_CLASS = {n: _RESPONSES.labels(f"{n}xx") for n in range(1, 6)}
_SERVER_ERRORS = _BY_CLASS[5]


def _count(status: int) -> None:
    _BY_CLASS.get(status // 100, _SERVER_ERRORS).inc()


class RequestSecurity:
    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_origins: TrustedOrigins,
        trusted_proxies: TrustedProxies,
        limiter: RateLimiter,
        refusals: RefusalReporter,
        route_of: Callable[[Scope], str],
        namespace: str,
        https: bool,
        exempt_test_paths: bool,
    ) -> None:
        """`route_of`: the template of the route a request's scope matches, "" for none."""
        self.app = app
        self.limiter = limiter
        self._refusals = refusals
        self._route_of = route_of
        self._origins = trusted_origins
        self._client_ips = ClientIps(trusted_proxies)
        self._key_prefix = f"{namespace}:rl:"
        self._static: tuple[Header, ...] = (*SECURITY_HEADERS, HSTS) if https else SECURITY_HEADERS
        self._exempt_test_paths = exempt_test_paths
        self._rules = RuleBook()
        # Origin header value → its CORS headers (None: untrusted); bounded, values are few.
        self._cors: dict[bytes, tuple[Header, ...] | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        origin = forwarded = request_method = requested_headers = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value if origin is None else origin + b", " + value
            elif name == b"x-forwarded-for":
                forwarded = value if forwarded is None else forwarded + b"," + value
            elif name == b"access-control-request-method":
                request_method = value
            elif name == b"access-control-request-headers":
                requested_headers = value
        cors = None if origin is None else self._cors_for(origin)
        if cors is not None and request_method is not None and scope["method"] == "OPTIONS":
            await self._preflight(send, cors[0][1], requested_headers)
            return
        no_store = raw_path.startswith(_AUTH_PREFIX) or raw_path == _AUTH_ROOT
        vary_origin = origin is not None
        client_ip = self._client_ip(scope, forwarded)
        if not (self._exempt_test_paths and raw_path.startswith(_TEST_PREFIX)):
            path, rule = self._rules.lookup(raw_path)
            remaining = await self.limiter.consume(f"{self._key_prefix}{client_ip}|{path}", rule)
            if remaining:
                if self._refusals.due(client_ip, path, 429):
                    self._report(scope, client_ip, self._route_of(scope), 429, "")
                error = ApiError.too_many_requests(retry_after_s(remaining))
                headers = [
                    (name.lower().encode(), value.encode()) for name, value in error.headers.items()
                ]
                if cors is not None:
                    merge_token(headers, b"access-control-expose-headers", b"x-retry-after")
                await self._answer(
                    send, error.status, error.body() or b"", headers, no_store, cors, vary_origin
                )
                return

        static = self._static
        refused = 0  # the status of a refusal to report once its body (its code) is sent

        async def secured_send(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start":
                _count(message["status"])
                if message["status"] in REPORTED_STATUSES:
                    refused = message["status"]
                message["headers"] = response_headers(
                    message.get("headers", ()),
                    static=static,
                    no_store=no_store,
                    cors=cors,
                    vary_origin=vary_origin,
                )
            elif refused and message["type"] == "http.response.body":
                route = self._route_of(scope)
                if self._refusals.due(client_ip, route, refused):
                    self._report(scope, client_ip, route, refused, error_code(message["body"]))
                refused = 0
            await send(message)

        await self.app(scope, receive, secured_send)

    def _report(self, scope: Scope, client_ip: str, route: str, status: int, code: str) -> None:
        user_agent = next((v for k, v in scope["headers"] if k == b"user-agent"), b"")
        self._refusals.report(
            ip=client_ip,
            user_agent=user_agent.decode("latin-1"),
            method=scope.get("method", "GET"),  # a WebSocket handshake is a GET
            route=route,
            status=status,
            code=code,
        )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A feed's handshake spends its path's budget like a request: a client opens
        connections no faster than it could poll. Refused with the same 429, where the server
        can answer a handshake with a response (else a policy-violation close, which the
        client sees as a 403)."""
        forwarded = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded = value if forwarded is None else forwarded + b"," + value
        path, rule = self._rules.lookup(scope.get("raw_path") or scope["path"].encode())
        client_ip = self._client_ip(scope, forwarded)
        remaining = await self.limiter.consume(f"{self._key_prefix}{client_ip}|{path}", rule)
        if not remaining:
            await self.app(scope, receive, send)
            return
        if self._refusals.due(client_ip, path, 429):
            self._report(scope, client_ip, self._route_of(scope), 429, "")
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008})
            return
        error = ApiError.too_many_requests(retry_after_s(remaining))
        body = error.body() or b""
        headers = [(name.lower().encode(), value.encode()) for name, value in error.headers.items()]
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *self._static,
        ]
        _count(error.status)
        start = {"type": "websocket.http.response.start", "status": error.status}
        await send(start | {"headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})

    def _cors_for(self, origin: bytes) -> tuple[Header, ...] | None:
        if origin in self._cors:
            return self._cors[origin]
        trusted = self._origins.is_trusted_origin_header(origin.decode("latin-1"))
        headers = cors_headers(origin) if trusted else None
        if len(self._cors) >= _MAX_MEMO:
            self._cors.clear()
        self._cors[origin] = headers
        return headers

    def _client_ip(self, scope: Scope, forwarded: bytes | None) -> str:
        client = scope.get("client")
        return self._client_ips.of(client[0] if client else None, forwarded) or NO_TRUSTED_IP

    async def _preflight(self, send: Send, origin: bytes, requested_headers: bytes | None) -> None:
        headers = preflight_headers(origin, requested_headers)
        await self._answer(send, 204, b"", headers, False, None, False)

    async def _answer(
        self,
        send: Send,
        status: int,
        body: bytes,
        headers: list[Header],
        no_store: bool,
        cors: tuple[Header, ...] | None,
        vary_origin: bool,
    ) -> None:
        if body:
            headers.append((b"content-type", b"application/json"))
        headers.append((b"content-length", str(len(body)).encode()))
        _count(status)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": response_headers(
                    headers,
                    static=self._static,
                    no_store=no_store,
                    cors=cors,
                    vary_origin=vary_origin,
                ),
            }
        )
        await send({"type": "http.response.body", "body": body})
