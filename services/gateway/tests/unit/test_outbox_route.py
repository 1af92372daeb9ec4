"""The test outbox's routes exist in test mode only: development and production never have
them (test-outbox.md, DESIGN §5)."""

from typing import Any

import pytest
from fastapi import FastAPI

from authmesh_gateway.app import create_app
from authmesh_gateway.routes import test_outbox
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


def has_outbox(app: FastAPI) -> bool:
    """Whether the outbox's router is included (FastAPI keeps included routers as such)."""
    included = [getattr(route, "original_router", route) for route in app.routes]
    return test_outbox.router in included


@pytest.mark.parametrize("mode", ["development", "production"])
def test_no_outbox_outside_test_mode(mode: str) -> None:
    assert not has_outbox(fastapi_app(mode))


def test_the_outbox_in_test_mode() -> None:
    assert has_outbox(fastapi_app("test"))


def test_recipients_are_keyed_lower_cased_like_notify_writes_them() -> None:
    assert test_outbox.outbox_key("ns1", "Alice@Example.COM") == "ns1:test-outbox:alice@example.com"
