"""The test outbox's routes, and the passkey test page, exist in test mode only: development
and production never have them (test-outbox.md, DESIGN §5)."""

from typing import Any

import pytest
from fastapi import FastAPI

from authmesh_gateway.app import create_app
from authmesh_gateway.routes import test_outbox, test_passkey_page
from authmesh_gateway.settings import GatewaySettings
from authmesh_kit.grpc.service_auth import generate_key_pair

KEY, PUBLIC = generate_key_pair()


def fastapi_app(mode: str) -> FastAPI:
    settings = GatewaySettings.model_validate(
        {
            "service_key": KEY,
            "service_public_keys": f"gateway:{PUBLIC}",
            "secret": "s" * 43,
            "mode": mode,
        }
    )
    app: Any = create_app(settings)
    while not isinstance(app, FastAPI):  # under the edge middleware and the fast path
        app = app.app
    return app


def included_test_routers(app: FastAPI) -> list[bool]:
    """Whether the outbox's and the passkey page's routers are included (FastAPI keeps
    included routers as such)."""
    included = [getattr(route, "original_router", route) for route in app.routes]
    return [router in included for router in (test_outbox.router, test_passkey_page.router)]


@pytest.mark.parametrize("mode", ["development", "production"])
def test_no_outbox_outside_test_mode(mode: str) -> None:
    assert included_test_routers(fastapi_app(mode)) == [False, False]


def test_the_outbox_in_test_mode() -> None:
    assert included_test_routers(fastapi_app("test")) == [True, True]


def test_recipients_are_keyed_lower_cased_like_notify_writes_them() -> None:
    assert test_outbox.outbox_key("ns1", "Alice@Example.COM") == "ns1:test-outbox:alice@example.com"
