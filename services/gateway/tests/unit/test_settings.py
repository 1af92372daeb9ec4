"""The gateway refuses to start without a usable secret, and stricter in production."""

from typing import Any

import pytest
from pydantic import ValidationError

from authmesh_gateway.settings import GatewaySettings
from authmesh_kit.grpc.service_auth import generate_key_pair

KEY, PUBLIC = generate_key_pair()


def settings(**values: str) -> GatewaySettings:
    fields: dict[str, Any] = {"service_key": KEY, "service_public_keys": f"gateway:{PUBLIC}"}
    return GatewaySettings.model_validate({**fields, **values})


def test_a_secret_is_required() -> None:
    with pytest.raises(ValidationError, match="AUTHMESH_SECRET"):
        settings()


def test_production_refuses_a_short_secret_and_development_allows_it() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        settings(mode="production", secret="short")
    assert settings(mode="development", secret="short").cookie_secrets() == ["short"]


def test_rotated_secrets_sign_with_the_first_and_strip_versions() -> None:
    rotated = settings(secrets="v2:" + "n" * 32 + ",v1:" + "o" * 32)
    assert rotated.cookie_secrets() == ["n" * 32, "o" * 32]


def test_a_cookie_domain_must_cover_the_base_url_host() -> None:
    secret = "s" * 32
    for domain in ("example.com", ".example.com", "auth.example.com"):
        chosen = settings(secret=secret, base_url="https://auth.example.com", cookie_domain=domain)
        assert chosen.cookie_domain == domain
    with pytest.raises(ValidationError, match="does not cover"):
        settings(secret=secret, base_url="https://auth.example.com", cookie_domain="other.com")
    with pytest.raises(ValidationError, match="cookie_domain"):
        settings(secret=secret, cookie_domain="example.com; Secure")
