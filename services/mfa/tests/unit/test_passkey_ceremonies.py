"""The WebAuthn checks (domain/passkey_ceremonies.py) and the relying party's configuration,
against the software authenticator of the integration tests."""

import base64
import contextlib
import json
import secrets
from typing import Any

import pytest

from authmesh_mfa.domain.passkey_ceremonies import (
    CeremonyError,
    Expected,
    counter_moved_forward,
    credential_id_of,
    verify_assertion,
    verify_registration,
)
from authmesh_mfa.domain.passkeys import relying_party
from tests.webauthn_authenticator import SoftwareAuthenticator, b64url

ORIGIN = "http://localhost:3000"
RP_ID = "localhost"


def expected(challenge: bytes, *, require_uv: bool = False) -> Expected:
    return Expected(
        challenge=challenge,
        rp_id=RP_ID,
        origins=("http://localhost:8000", ORIGIN),
        require_user_verification=require_uv,
    )


def creation_options(challenge: bytes) -> dict[str, Any]:
    return {
        "challenge": b64url(challenge),
        "rp": {"name": "Authmesh", "id": RP_ID},
        "user": {"id": b64url(b"u" * 32), "name": "a@example.test", "displayName": "a"},
    }


def registered() -> tuple[SoftwareAuthenticator, bytes]:
    authenticator = SoftwareAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    challenge = secrets.token_bytes(32)
    credential = verify_registration(
        json.dumps(authenticator.create(creation_options(challenge))), expected(challenge)
    )
    return authenticator, credential.public_key


def request_options(challenge: bytes) -> dict[str, Any]:
    return {"challenge": b64url(challenge), "rpId": RP_ID}


def test_a_registration_gives_the_credential_in_better_auths_terms() -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    challenge = secrets.token_bytes(32)
    response = authenticator.create(creation_options(challenge))
    credential = verify_registration(json.dumps(response), expected(challenge))
    assert credential.credential_id == response["id"]
    assert credential.device_type == "singleDevice"
    assert credential.backed_up is False
    assert credential.transports == "internal"
    assert credential.aaguid == "00000000-0000-0000-0000-000000000000"
    assert credential.sign_count == 0
    assert credential.user_verified is True


@pytest.mark.parametrize(
    ("origin", "rp_id", "challenge"),
    [
        ("https://evil.example", None, None),  # phished: another site's origin
        (None, "evil.example", None),  # a credential scoped to another RP
        (None, None, b"another challenge"),  # not the challenge handed out
    ],
)
def test_a_registration_for_another_origin_rp_or_challenge_fails(
    origin: str | None, rp_id: str | None, challenge: bytes | None
) -> None:
    kept = secrets.token_bytes(32)
    options = creation_options(challenge or kept)
    response = SoftwareAuthenticator(origin=ORIGIN, rp_id=RP_ID).create(
        options, origin=origin, rp_id=rp_id
    )
    with pytest.raises(CeremonyError):
        verify_registration(json.dumps(response), expected(kept))


def test_user_verification_is_enforced_only_when_required() -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN, rp_id=RP_ID, user_verified=False)
    challenge = secrets.token_bytes(32)
    response = json.dumps(authenticator.create(creation_options(challenge)))
    with pytest.raises(CeremonyError):
        verify_registration(response, expected(challenge, require_uv=True))
    assert verify_registration(response, expected(challenge)).user_verified is False


def test_an_assertion_verifies_with_the_registered_key_only() -> None:
    authenticator, public_key = registered()
    challenge = secrets.token_bytes(32)
    response = json.dumps(authenticator.get(request_options(challenge)))
    assertion = verify_assertion(response, expected(challenge), public_key)
    assert (assertion.sign_count, assertion.user_verified) == (1, True)
    _, other_key = registered()
    with pytest.raises(CeremonyError):
        verify_assertion(response, expected(challenge), other_key)


@pytest.mark.parametrize(
    ("origin", "rp_id"), [("https://evil.example", None), (None, "evil.example")]
)
def test_an_assertion_from_another_origin_or_rp_fails(
    origin: str | None, rp_id: str | None
) -> None:
    authenticator, public_key = registered()
    challenge = secrets.token_bytes(32)
    response = authenticator.get(request_options(challenge), origin=origin, rp_id=rp_id)
    with pytest.raises(CeremonyError):
        verify_assertion(json.dumps(response), expected(challenge), public_key)


def test_an_assertion_for_another_challenge_fails() -> None:
    authenticator, public_key = registered()
    response = authenticator.get(request_options(secrets.token_bytes(32)))
    with pytest.raises(CeremonyError):
        verify_assertion(json.dumps(response), expected(secrets.token_bytes(32)), public_key)


def _mutations(value: Any) -> list[Any]:
    """Wrong types, truncations and garbage in place of a JSON value."""
    text = value if isinstance(value, str) else ""
    return [
        None,
        7,
        -1.5,
        True,
        [],
        {},
        [value],
        "",
        "!!!",
        text[: len(text) // 2],
        text + "A",
        b64url(secrets.token_bytes(40)),
        base64.b64encode(secrets.token_bytes(40)).decode(),  # padded standard base64
        "\u0000\ud7ff",
    ]


def _paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(node, dict):
        return [prefix]
    paths = [prefix] if prefix else []
    for key, child in node.items():
        paths += _paths(child, (*prefix, key))
    return paths


def _replaced(node: Any, path: tuple[str, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(node)
    copy[path[0]] = _replaced(node[path[0]], path[1:], value)
    return copy


def _get(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def test_malformed_responses_are_failed_ceremonies_never_crashes() -> None:
    authenticator, public_key = registered()
    challenge = secrets.token_bytes(32)
    registration = authenticator.create(creation_options(challenge))
    assertion = authenticator.get(request_options(challenge))
    garbage = ["", "null", "[]", "{", "7", '"x"', "{}", json.dumps({"response": None})]
    for text in garbage:
        with pytest.raises(CeremonyError):
            verify_registration(text, expected(challenge))
        with pytest.raises(CeremonyError):
            verify_assertion(text, expected(challenge), public_key)
    for path in _paths(registration):
        for value in _mutations(_get(registration, path)):
            mutated = json.dumps(_replaced(registration, path, value))
            with contextlib.suppress(CeremonyError):
                verify_registration(mutated, expected(challenge))
    for path in _paths(assertion):
        for value in _mutations(_get(assertion, path)):
            mutated = json.dumps(_replaced(assertion, path, value))
            with contextlib.suppress(CeremonyError):
                verify_assertion(mutated, expected(challenge), public_key)


def test_a_counter_must_grow_unless_the_authenticator_keeps_none() -> None:
    assert counter_moved_forward(0, 0)  # synced passkeys report no counter
    assert counter_moved_forward(0, 1)
    assert counter_moved_forward(5, 6)
    assert not counter_moved_forward(5, 5)  # a replayed or cloned counter
    assert not counter_moved_forward(5, 4)
    assert not counter_moved_forward(5, 0)


def test_the_credential_id_of_an_assertion() -> None:
    assert credential_id_of(json.dumps({"id": "abc"})) == "abc"
    for text in ("", "[]", json.dumps({"id": 5}), json.dumps({"rawId": "abc"})):
        assert credential_id_of(text) is None


def test_the_relying_party_defaults_to_the_public_urls_host_and_exact_trusted_origins() -> None:
    rp = relying_party(
        base_url="https://auth.example.com/",
        rp_id="",
        rp_name="Authmesh",
        origins="",
        trusted_origins="https://auth.example.com:443, https://*.example.com, https://evil.test",
        user_verification="preferred",
    )
    assert rp.id == "auth.example.com"
    assert rp.origins == ("https://auth.example.com",)
    parent = relying_party(
        base_url="https://auth.example.com",
        rp_id="example.com",
        rp_name="Authmesh",
        origins="",
        trusted_origins="https://app.example.com,http://localhost:3000",
        user_verification="required",
    )
    assert parent.origins == ("https://auth.example.com", "https://app.example.com")
    assert parent.requires_user_verification


@pytest.mark.parametrize(
    ("rp_id", "origins"),
    [
        ("other.example", ""),  # does not cover the public URL
        ("example.com", "https://evil.test"),  # an origin outside the RP id
        ("example.com", "https://*.example.com"),  # not an exact origin
    ],
)
def test_a_relying_party_no_browser_could_use_is_refused(rp_id: str, origins: str) -> None:
    with pytest.raises(ValueError, match="AUTHMESH_"):
        relying_party(
            base_url="https://auth.example.com",
            rp_id=rp_id,
            rp_name="Authmesh",
            origins=origins,
            trusted_origins="",
            user_verification="preferred",
        )
