"""The `trust_device` cookie byte for byte as the Better-Auth 1.7.25 peer writes it (its default
secret; the value copied from its verify-totp answer), and its binding to one user."""

from types import SimpleNamespace
from typing import cast

from google.protobuf import timestamp_pb2
from starlette.requests import Request

from authmesh.mfa.v1 import mfa_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.sessions.second_factor import trust_device_line, trusted_device_id
from authmesh_gateway.wire.cookies import CookieNames

PEER_SECRET = "peer-dev-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
USER_ID = "d90hdfOmThg0ifMyXbFxtKAnQ9UWiSTH"
DEVICE_ID = "trust-device-JJRU20uDkTG0eiMsKNnARq-hFtScXIk9"
PEER_COOKIE = (
    "better-auth.trust_device=1PlymjhYmGLfK95CFjsTh6So0ltLCaOuzS-3emQ0ZEU!"
    "trust-device-JJRU20uDkTG0eiMsKNnARq-hFtScXIk9."
    "G4D0zrP0uTYuG7UucuYfzPdeKOh6gNpw3NSdYsv7p5Q%3"
)


def _context(secrets: list[str]) -> GatewayContext:
    return cast(GatewayContext, SimpleNamespace(cookies=CookieNames(), secrets=secrets))


def _request(cookie: str) -> Request:
    return Request({"type": "http", "headers": [(b"cookie", cookie.encode())]})


def _device(expires_in_s: int) -> mfa_pb2.TrustedDevice:
    expires_at = timestamp_pb2.Timestamp()
    expires_at.GetCurrentTime()
    expires_at.seconds += expires_in_s
    return mfa_pb2.TrustedDevice(device_id=DEVICE_ID, expires_at=expires_at)


def test_the_cookie_is_the_peers() -> None:
    line = trust_device_line(_context([PEER_SECRET]), USER_ID, _device(2_592_000))
    assert line.startswith(PEER_COOKIE)
    assert line.endswith("; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax")


def test_the_cookie_names_its_device_for_its_user_only() -> None:
    ctx = _context([PEER_SECRET])
    cookie = trust_device_line(ctx, USER_ID, _device(60)).split(";")[0]
    assert trusted_device_id(_request(cookie), ctx, USER_ID) == DEVICE_ID
    assert trusted_device_id(_request(cookie), ctx, "another-user") is None
    # Accepted under an older secret after a rotation.
    rotated = _context(["a-new-secret-0123456789abcdefghijkl", PEER_SECRET])
    assert trusted_device_id(_request(cookie), rotated, USER_ID) == DEVICE_ID
    assert trusted_device_id(_request(cookie), _context(["unrelated-secret"]), USER_ID) is None
    assert trusted_device_id(_request("better-auth.trust_device=x.y"), ctx, USER_ID) is None
