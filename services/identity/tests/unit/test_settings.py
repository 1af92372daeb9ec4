"""Identity's settings: the base URL links are built from, and the key ring it seals with."""

import pytest
from pydantic import ValidationError

from authmesh_identity.settings import IdentitySettings
from authmesh_kit.crypto.key_ring import new_key_ring_spec


@pytest.fixture(autouse=True)
def required(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AUTHMESH_IDENTITY_DATABASE_URL": "postgresql://identity@localhost/authmesh",
        "AUTHMESH_SERVICE_KEY": "key",
        "AUTHMESH_SERVICE_PUBLIC_KEYS": "",
        "AUTHMESH_ENCRYPTION_KEYS": new_key_ring_spec(),
        "AUTHMESH_BASE_URL": "https://auth.example.com/",
    }.items():
        monkeypatch.setenv(name, value)


def test_defaults_are_better_auths() -> None:
    policy = IdentitySettings().account_flow_policy()
    assert policy.base_url == "https://auth.example.com"  # no trailing slash in links
    assert policy.email_verification_expires_in.total_seconds() == 3600
    assert policy.reset_password_expires_in.total_seconds() == 3600
    assert not policy.require_email_verification
    assert policy.send_verification_on_sign_up and policy.send_verification_on_sign_in


@pytest.mark.parametrize(
    "base_url",
    ["", "auth.example.com", "ftp://auth.example.com", "https://", "https://a.example/?x=1"],
)
def test_a_base_url_that_cannot_build_links_is_refused(
    monkeypatch: pytest.MonkeyPatch, base_url: str
) -> None:
    monkeypatch.setenv("AUTHMESH_BASE_URL", base_url)
    with pytest.raises(ValidationError):
        IdentitySettings()


@pytest.mark.parametrize("missing", ["AUTHMESH_BASE_URL", "AUTHMESH_ENCRYPTION_KEYS"])
def test_identity_refuses_to_start_without_them(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.delenv(missing)
    with pytest.raises(ValidationError):
        IdentitySettings()
