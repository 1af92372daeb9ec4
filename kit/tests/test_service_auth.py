"""Service tokens: who may call whom is decided by signatures, audiences and issuers."""

import time

import jwt

from authmesh_kit.grpc.service_auth import (
    ServiceTokenIssuer,
    ServiceTokenVerifier,
    generate_key_pair,
    parse_public_keys,
)

GATEWAY = generate_key_pair()
SESSION = generate_key_pair()
PUBLIC = parse_public_keys(f"gateway:{GATEWAY[1]},session:{SESSION[1]}")


def test_a_token_names_its_issuer_to_the_audience_it_was_made_for() -> None:
    token = ServiceTokenIssuer("gateway", GATEWAY[0]).token_for("identity")
    caller = ServiceTokenVerifier("identity", PUBLIC).verify(token)
    assert caller is not None and caller.service == "gateway"


def test_a_token_for_another_service_is_refused() -> None:
    token = ServiceTokenIssuer("gateway", GATEWAY[0]).token_for("session")
    assert ServiceTokenVerifier("identity", PUBLIC).verify(token) is None


def test_a_service_cannot_sign_as_another() -> None:
    forged = ServiceTokenIssuer("gateway", SESSION[0]).token_for("identity")
    assert ServiceTokenVerifier("identity", PUBLIC).verify(forged) is None


def test_unknown_issuers_expired_and_garbage_tokens_are_refused() -> None:
    verifier = ServiceTokenVerifier("identity", PUBLIC)
    stranger = generate_key_pair()
    assert verifier.verify(ServiceTokenIssuer("rogue", stranger[0]).token_for("identity")) is None
    now = int(time.time())
    expired = jwt.encode(
        {"iss": "gateway", "aud": "identity", "iat": now - 600, "exp": now - 300},
        ServiceTokenIssuer("gateway", GATEWAY[0])._key,
        algorithm="EdDSA",
    )
    assert verifier.verify(expired) is None
    assert verifier.verify("not-a-token") is None
    unsigned = jwt.encode({"iss": "gateway", "aud": "identity", "exp": now + 60}, "", "none")
    assert verifier.verify(unsigned) is None


def test_tokens_are_reused_until_shortly_before_they_expire() -> None:
    issuer = ServiceTokenIssuer("gateway", GATEWAY[0])
    assert issuer.token_for("identity") == issuer.token_for("identity")
    assert issuer.token_for("identity") != issuer.token_for("session")
