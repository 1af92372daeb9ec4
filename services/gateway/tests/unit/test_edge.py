"""The gateway's edge middleware, driven as plain ASGI in front of a stub app: 429 answers,
preflights, security and CORS headers, what is exempt, and which refusals it reports."""

from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from authmesh_gateway.security.headers import merge_token, preflight_headers
from authmesh_gateway.security.middleware import RequestSecurity
from authmesh_gateway.security.origins import TrustedOrigins
from authmesh_gateway.security.rate_limit import LocalBuckets, RateLimiter
from authmesh_gateway.security.refusals import RefusalReporter, error_code
from authmesh_gateway.wire.client_ip import TrustedProxies

TRUSTED = "http://localhost:3000"


class StubApp:
    """Answers `status` (200) and `body` with the headers it was given; counts calls."""

    def __init__(
        self,
        headers: list[tuple[bytes, bytes]] | None = None,
        status: int = 200,
        body: bytes = b"{}",
    ) -> None:
        self.calls = 0
        self.headers = headers or []
        self.status = status
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


class RecordedRefusals(RefusalReporter):
    """Keeps what would be published; the throttle is the real one."""

    def __init__(self) -> None:
        super().__init__("unit")
        self.reported: list[dict[str, object]] = []

    def report(self, **refusal: Any) -> None:
        self.reported.append(refusal)


def _edge(
    app: StubApp,
    *,
    https: bool = False,
    test_mode: bool = False,
    refusals: RefusalReporter | None = None,
) -> RequestSecurity:
    return RequestSecurity(
        app,
        trusted_origins=TrustedOrigins.for_gateway("http://localhost:8000", [TRUSTED]),
        trusted_proxies=TrustedProxies.parse(["127.0.0.1"]),
        limiter=RateLimiter(None, LocalBuckets()),
        refusals=refusals or RecordedRefusals(),
        route_of=lambda scope: "/api/auth/route-of" + scope["path"].rsplit("/", 1)[-1],
        namespace="unit",
        https=https,
        exempt_test_paths=test_mode,
    )


async def _call(
    edge: RequestSecurity,
    path: str,
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    peer: str = "127.0.0.1",
) -> tuple[int, dict[str, str], bytes]:
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": (peer, 5000),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await edge(scope, receive, send)
    start, body = sent[0], sent[1]
    names = [name.decode() for name, _ in start["headers"]]
    assert len(names) == len(set(names)), f"duplicate headers: {names}"
    return (
        start["status"],
        {name.decode(): value.decode() for name, value in start["headers"]},
        body["body"],
    )


async def test_the_fourth_sign_in_from_one_ip_is_429_and_another_ip_is_unaffected() -> None:
    app = StubApp()
    edge = _edge(app)
    xff = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(3):
        assert (await _call(edge, "/api/auth/sign-in/email", method="POST", headers=xff))[0] == 200
    # The trailing slash is the same bucket.
    status, headers, body = await _call(edge, "/api/auth/sign-in/email/", "POST", headers=xff)
    assert (status, body) == (429, b'{"message":"Too many requests. Please try again later."}')
    assert headers["x-retry-after"] == "10"
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert app.calls == 3  # refused before the app
    other = {"X-Forwarded-For": "203.0.113.10"}
    assert (await _call(edge, "/api/auth/sign-in/email", method="POST", headers=other))[0] == 200


async def test_ipv6_clients_share_their_64() -> None:
    edge = _edge(StubApp())
    for suffix in ("1", "2", "3"):
        xff = {"X-Forwarded-For": f"2001:db8:1:2::{suffix}"}
        assert (await _call(edge, "/api/auth/sign-up/email", method="POST", headers=xff))[0] == 200
    xff = {"X-Forwarded-For": "2001:db8:1:2:ffff::9"}
    assert (await _call(edge, "/api/auth/sign-up/email", method="POST", headers=xff))[0] == 429


async def test_unknown_clients_share_one_bucket_and_untrusted_peers_are_their_own_ip() -> None:
    edge = _edge(StubApp())
    for garbage in ("garbage", "1.2.3.4:80", ""):
        headers = {"X-Forwarded-For": garbage}
        assert (await _call(edge, "/api/auth/change-password", method="POST", headers=headers))[
            0
        ] == 200
    assert (await _call(edge, "/api/auth/change-password", method="POST"))[0] == 429
    # A peer that is not a trusted proxy is the client, whatever X-Forwarded-For claims.
    spoofed = {"X-Forwarded-For": "198.51.100.1"}
    for _ in range(3):
        await _call(edge, "/api/auth/change-password", "POST", headers=spoofed, peer="192.0.2.5")
    assert (
        await _call(
            edge,
            "/api/auth/change-password",
            method="POST",
            headers={"X-Forwarded-For": "198.51.100.2"},
            peer="192.0.2.5",
        )
    )[0] == 429


async def test_test_paths_are_exempt_only_in_test_mode() -> None:
    exempt = _edge(StubApp(), test_mode=True)
    limited = _edge(StubApp())
    for _ in range(101):
        assert (await _call(exempt, "/__test/outbox"))[0] == 200
        last = await _call(limited, "/__test/outbox")
    assert last[0] == 429


async def test_security_headers_on_every_response_and_no_store_under_the_base_path() -> None:
    edge = _edge(StubApp())
    _, auth, _ = await _call(edge, "/api/auth/ok")
    _, other, _ = await _call(edge, "/elsewhere")
    for headers in (auth, other):
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in headers
    assert auth["cache-control"] == "no-store"
    assert "cache-control" not in other
    _, https, _ = await _call(_edge(StubApp(), https=True), "/api/auth/ok")
    assert https["strict-transport-security"].startswith("max-age=")


async def test_the_apps_own_cache_control_and_expose_headers_are_kept() -> None:
    app = StubApp(
        [
            (b"cache-control", b"no-store"),
            (b"pragma", b"no-cache"),
            (b"access-control-expose-headers", b"set-auth-token"),
            (b"vary", b"Accept-Encoding"),
        ]
    )
    _, headers, _ = await _call(_edge(app), "/api/auth/get-session", headers={"Origin": TRUSTED})
    assert headers["cache-control"] == "no-store"
    assert headers["pragma"] == "no-cache"
    assert headers["access-control-expose-headers"] == "set-auth-token"
    assert headers["vary"] == "Accept-Encoding, Origin"
    assert headers["access-control-allow-origin"] == TRUSTED
    assert headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost:3000.evil"])
async def test_untrusted_origins_get_no_cors_headers(origin: str) -> None:
    _, headers, _ = await _call(_edge(StubApp()), "/api/auth/ok", headers={"Origin": origin})
    assert not any(name.startswith("access-control-") for name in headers)
    assert headers["vary"] == "Origin"


async def test_a_trusted_preflight_is_answered_without_spending_the_budget() -> None:
    app = StubApp()
    edge = _edge(app)
    request = {
        "Origin": TRUSTED,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-custom",
        "X-Forwarded-For": "203.0.113.50",
    }
    for _ in range(5):
        status, headers, body = await _call(
            edge, "/api/auth/sign-in/email", method="OPTIONS", headers=request
        )
        assert (status, body) == (204, b"")
    assert app.calls == 0
    assert headers["access-control-allow-origin"] == TRUSTED
    assert headers["access-control-allow-credentials"] == "true"
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "content-type, x-custom"
    assert headers["access-control-max-age"] == "600"
    assert "Origin" in headers["vary"]
    assert headers["x-content-type-options"] == "nosniff"
    # The sign-in budget of that IP is untouched.
    post = {"Origin": TRUSTED, "X-Forwarded-For": "203.0.113.50"}
    for _ in range(3):
        assert (await _call(edge, "/api/auth/sign-in/email", method="POST", headers=post))[0] == 200


async def test_an_untrusted_preflight_goes_to_the_router() -> None:
    app = StubApp()
    request = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    _, headers, _ = await _call(_edge(app), "/api/auth/ok", method="OPTIONS", headers=request)
    assert app.calls == 1  # Better-Auth's answer to OPTIONS (404) is the app's
    assert "access-control-allow-origin" not in headers


async def test_a_429_tells_a_trusted_origin_it_may_read_the_retry_delay() -> None:
    edge = _edge(StubApp())
    headers = {"Origin": TRUSTED, "X-Forwarded-For": "203.0.113.77"}
    for _ in range(3):
        await _call(edge, "/api/auth/sign-up/email", method="POST", headers=headers)
    status, answer, _ = await _call(edge, "/api/auth/sign-up/email", method="POST", headers=headers)
    assert status == 429
    assert answer["access-control-allow-origin"] == TRUSTED
    assert answer["access-control-expose-headers"] == "x-retry-after"


async def test_refusals_are_reported_once_per_client_route_and_status() -> None:
    refusals = RecordedRefusals()
    edge = _edge(StubApp(), refusals=refusals)
    xff = {"X-Forwarded-For": "203.0.113.20", "User-Agent": "probe/1"}
    for _ in range(6):
        await _call(edge, "/api/auth/sign-in/email", method="POST", headers=xff)
    assert refusals.reported == [  # three 429s, one event
        {
            "ip": "203.0.113.20",
            "user_agent": "probe/1",
            "method": "POST",
            "route": "/api/auth/route-ofemail",
            "status": 429,
            "code": "",
        }
    ]
    forbidden = StubApp(status=403, body=b'{"code":"INVALID_ORIGIN","message":"Invalid origin"}')
    edge = _edge(forbidden, refusals=refusals)
    for _ in range(2):
        assert (await _call(edge, "/api/auth/sign-out", "POST", headers=xff))[0] == 403
    assert refusals.reported[1:] == [
        {
            "ip": "203.0.113.20",
            "user_agent": "probe/1",
            "method": "POST",
            "route": "/api/auth/route-ofsign-out",
            "status": 403,
            "code": "INVALID_ORIGIN",
        }
    ]
    other = {"X-Forwarded-For": "203.0.113.21"}
    await _call(edge, "/api/auth/sign-out", "POST", headers=other)
    assert len(refusals.reported) == 3  # another client is reported on its own


async def test_answers_that_are_not_refusals_are_not_reported() -> None:
    refusals = RecordedRefusals()
    for status in (200, 302, 401, 404, 500):
        await _call(_edge(StubApp(status=status), refusals=refusals), "/api/auth/x", "POST")
    assert refusals.reported == []


def test_refusal_throttle_forgets_after_its_quiet_time() -> None:
    now = [100.0]
    refusals = RefusalReporter("unit", clock=lambda: now[0])
    assert refusals.due("198.51.100.1", "/r", 400)
    assert not refusals.due("198.51.100.1", "/r", 400)
    assert refusals.due("198.51.100.1", "/r", 403)
    now[0] += 10
    assert refusals.due("198.51.100.1", "/r", 400)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"code":"VALIDATION_ERROR","message":"x"}', "VALIDATION_ERROR"),
        (b'{"message":"Too many requests."}', ""),
        (b'{"code":7}', ""),
        (b"[]", ""),
        (b"not json", ""),
        (b"", ""),
    ],
)
def test_the_code_of_an_error_body(body: bytes, code: str) -> None:
    assert error_code(body) == code


def test_requested_preflight_headers_are_echoed_only_when_well_formed() -> None:
    def allowed(requested: bytes) -> str | None:
        headers = dict(preflight_headers(b"http://a", requested))
        value = headers.get(b"access-control-allow-headers")
        return None if value is None else value.decode()

    assert allowed(b"content-type,authorization") == "content-type,authorization"
    assert allowed(b"x\r\nset-cookie: a") is None
    assert allowed(b"a" * 2000) is None
    assert allowed(b"") is None


def test_merge_token_adds_once() -> None:
    headers = [(b"Vary", b"Origin")]
    merge_token(headers, b"vary", b"origin")
    assert headers == [(b"Vary", b"Origin")]
    merge_token(headers, b"vary", b"Cookie")
    assert headers == [(b"Vary", b"Origin, Cookie")]
