"""The passkey plugin's bodies byte for byte, pinned by answers of the Better-Auth peer
(@better-auth/passkey 1.7.6 with @simplewebauthn/server 13)."""

import base64
from datetime import UTC, datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from authmesh.mfa.v1 import passkey_pb2
from authmesh_gateway.http_io import json_bytes
from authmesh_gateway.routes.passkey import (
    creation_options_json,
    passkey_json,
    request_options_json,
)
from authmesh_gateway.wire.body import JsonValue
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.schemas import VERIFY_PASSKEY_REGISTRATION
from authmesh_gateway.wire.validation import validate_body


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_creation_options() -> None:
    challenge = passkey_pb2.RegistrationChallenge(
        challenge=_unb64url("qQVNqOAuZ2mmy5ZFSo0XUzz6wyjceAMtCDWFdWtnR0I"),
        rp_id="localhost",
        rp_name="Better Auth Peer",
        user_handle=b"j3isaiv7uj2fplutwgmcx4yu52hb9m63",
        algorithms=[-8, -7, -257],
        timeout_ms=60000,
        exclude_credentials=[
            passkey_pb2.CredentialDescriptor(id="7cRduPu_fqS4dpMDc373ww", transports="internal")
        ],
        resident_key="preferred",
        user_verification="preferred",
    )
    options = creation_options_json(
        challenge,
        user_name="x",
        user_display_name="u-d57594d0@example.test",
        authenticator_attachment="platform",
    )
    assert json_bytes(options) == (
        b'{"challenge":"qQVNqOAuZ2mmy5ZFSo0XUzz6wyjceAMtCDWFdWtnR0I","rp":{"name":"Better Auth '
        b'Peer","id":"localhost"},"user":{"id":"ajNpc2Fpdjd1ajJmcGx1dHdnbWN4NHl1NTJoYjltNjM",'
        b'"name":"x","displayName":"u-d57594d0@example.test"},"pubKeyCredParams":[{"alg":-8,'
        b'"type":"public-key"},{"alg":-7,"type":"public-key"},{"alg":-257,"type":"public-key"}]'
        b',"timeout":60000,"attestation":"none","excludeCredentials":[{"id":"7cRduPu_fqS4dpMDc3'
        b'73ww","transports":["internal"],"type":"public-key"}],"authenticatorSelection":{"resi'
        b'dentKey":"preferred","userVerification":"preferred","authenticatorAttachment":"platfo'
        b'rm","requireResidentKey":false},"extensions":{"credProps":true},"hints":[]}'
    )


def test_request_options_list_credentials_only_when_there_are_some() -> None:
    challenge = passkey_pb2.AuthenticationChallenge(
        challenge=_unb64url("dl_iGcnziiyglX9FZb0Hb36XZMhN3NJd1L0bp_7UAaw"),
        rp_id="localhost",
        timeout_ms=60000,
        user_verification="preferred",
        allow_credentials=[
            passkey_pb2.CredentialDescriptor(id="7cRduPu_fqS4dpMDc373ww", transports="internal")
        ],
    )
    assert json_bytes(request_options_json(challenge)) == (
        b'{"rpId":"localhost","challenge":"dl_iGcnziiyglX9FZb0Hb36XZMhN3NJd1L0bp_7UAaw","allowC'
        b'redentials":[{"id":"7cRduPu_fqS4dpMDc373ww","transports":["internal"],"type":"public-'
        b'key"}],"timeout":60000,"userVerification":"preferred"}'
    )
    del challenge.allow_credentials[:]
    assert json_bytes(request_options_json(challenge)) == (
        b'{"rpId":"localhost","challenge":"dl_iGcnziiyglX9FZb0Hb36XZMhN3NJd1L0bp_7UAaw","timeou'
        b't":60000,"userVerification":"preferred"}'
    )


def test_a_passkey() -> None:
    created_at = Timestamp()
    created_at.FromDatetime(datetime(2026, 11, 27, 2, 6, 36, 325000, tzinfo=UTC))
    public_key = base64.b64decode(
        "pQECAyYgASFYILkNP8yO9oiV/p1/47HMau473jdQuExPJUo8vtOBsDpRIlggt4Avm35x5ANUK0K3ADukzZ1Y"
        "eiDnLFokPIgNJcW8wjk="
    )
    passkey = passkey_pb2.Passkey(
        id="8KRb4a6TOISUhmRoequANwKgoJPv3vO8",
        name="my key",
        public_key=public_key,
        user_id="hRoHmcuCbN6VFT18MzhSgtlpBX2xTTuH",
        credential_id="7cRduPu_fqS4dpMDc373ww",
        counter=0,
        device_type="singleDevice",
        backed_up=False,
        transports="internal",
        created_at=created_at,
        aaguid="00000000-0000-0000-0000-000000000000",
    )
    assert json_bytes(passkey_json(passkey)) == (
        b'{"name":"my key","publicKey":"pQECAyYgASFYILkNP8yO9oiV/p1/47HMau473jdQuExPJUo8vtOBsDp'
        b'RIlggt4Avm35x5ANUK0K3ADukzZ1YeiDnLFokPIgNJcW8wjk=","userId":"hRoHmcuCbN6VFT18MzhSgtlp'
        b'BX2xTTuH","credentialID":"7cRduPu_fqS4dpMDc373ww","counter":0,"deviceType":"singleDev'
        b'ice","backedUp":false,"transports":"internal","createdAt":"2026-11-27T02:06:36.325Z",'
        b'"aaguid":"00000000-0000-0000-0000-000000000000","id":"8KRb4a6TOISUhmRoequANwKgoJPv3vO8"}'
    )
    passkey.ClearField("name")
    assert json_bytes(passkey_json(passkey)).startswith(b'{"name":null,"publicKey":')


def test_the_registration_response_is_any_value_but_a_missing_one() -> None:
    values: list[JsonValue] = [None, "junk", 5, [], {}]
    for value in values:
        assert validate_body({"response": value}, VERIFY_PASSKEY_REGISTRATION)["response"] == value
    with pytest.raises(ApiError) as missing:
        validate_body({}, VERIFY_PASSKEY_REGISTRATION)
    assert missing.value.body() == (
        b'{"message":"[body.response] Invalid input: expected nonoptional, received undefined",'
        b'"code":"VALIDATION_ERROR"}'
    )
