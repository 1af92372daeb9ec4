"""The checks of the two WebAuthn ceremonies, as pure functions (W3C WebAuthn Level 3: §7.1
"Registering a New Credential", §7.2 "Verifying an Authentication Assertion"), done by
py_webauthn with the relying party's configured id and origins, never the request's.

The client's JSON is attacker-controlled bytes decoded by several libraries (json, base64,
cbor2, cryptography, pyOpenSSL) whose failures py_webauthn does not all wrap; any failure to
parse or verify it is a failed ceremony (`CeremonyError`), never a crash.

The signature counter (§7.2 step 21) is left out of `verify_assertion` and checked by
`counter_moved_forward`, so that a counter that went backwards, a sign of a cloned
authenticator, can be told apart from a bad signature.
"""

import json
from dataclasses import dataclass
from typing import Any

from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import AuthenticatorTransport, CredentialDeviceType

# Better-Auth's pubKeyCredParams, in its order: EdDSA, ES256, RS256.
ALGORITHMS = (
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
)
# Better-Auth's names for py_webauthn's device types (simplewebauthn's spelling).
_DEVICE_TYPES = {
    CredentialDeviceType.SINGLE_DEVICE: "singleDevice",
    CredentialDeviceType.MULTI_DEVICE: "multiDevice",
}
_TRANSPORTS = frozenset(transport.value for transport in AuthenticatorTransport)


class CeremonyError(Exception):
    """The client's response does not prove what it claims; the message says why, for logs."""


@dataclass(frozen=True)
class Expected:
    """What a response must match: the challenge kept for it and the relying party."""

    challenge: bytes
    rp_id: str
    origins: tuple[str, ...]
    require_user_verification: bool


@dataclass(frozen=True)
class NewCredential:
    credential_id: str  # base64url
    public_key: bytes  # COSE_Key
    sign_count: int
    device_type: str  # "singleDevice" or "multiDevice"
    backed_up: bool
    transports: str  # comma-separated, as Better-Auth stores them
    aaguid: str
    user_verified: bool


@dataclass(frozen=True)
class Assertion:
    sign_count: int
    user_verified: bool
    backed_up: bool


def _parse(response_json: str) -> dict[str, Any]:
    try:
        response = json.loads(response_json)
    except ValueError as error:
        raise CeremonyError("not JSON") from error
    if not isinstance(response, dict):
        raise CeremonyError("not a JSON object")
    return response


def credential_id_of(response_json: str) -> str | None:
    """The `id` an assertion names its credential by, or None when it names none."""
    try:
        credential_id = _parse(response_json).get("id")
    except CeremonyError:
        return None
    return credential_id if isinstance(credential_id, str) else None


def _transports(response: dict[str, Any]) -> str:
    """The transports the client reported, those WebAuthn defines, comma-separated."""
    inner = response.get("response")
    reported = inner.get("transports") if isinstance(inner, dict) else None
    if not isinstance(reported, list):
        return ""
    return ",".join(item for item in reported if isinstance(item, str) and item in _TRANSPORTS)


def verify_registration(response_json: str, expected: Expected) -> NewCredential:
    """§7.1 for a RegistrationResponseJSON: client data type, challenge and origin, RP id
    hash, user presence (and verification when required), an algorithm of `ALGORITHMS`, and
    the attestation statement."""
    response = _parse(response_json)
    try:
        verified = verify_registration_response(
            credential=response,
            expected_challenge=expected.challenge,
            expected_rp_id=expected.rp_id,
            expected_origin=list(expected.origins),
            require_user_verification=expected.require_user_verification,
            supported_pub_key_algs=list(ALGORITHMS),
        )
    except Exception as error:  # whatever fails: see the module docstring
        raise CeremonyError(f"registration: {error}") from error
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        device_type=_DEVICE_TYPES[verified.credential_device_type],
        backed_up=verified.credential_backed_up,
        transports=_transports(response),
        aaguid=verified.aaguid,
        user_verified=verified.user_verified,
    )


def verify_assertion(response_json: str, expected: Expected, public_key: bytes) -> Assertion:
    """§7.2 for an AuthenticationResponseJSON, except the counter (`counter_moved_forward`):
    client data type, challenge and origin, RP id hash, user presence (and verification when
    required), and the signature by `public_key`."""
    response = _parse(response_json)
    try:
        verified = verify_authentication_response(
            credential=response,
            expected_challenge=expected.challenge,
            expected_rp_id=expected.rp_id,
            expected_origin=list(expected.origins),
            credential_public_key=public_key,
            # 0 turns py_webauthn's own counter check off: counter_moved_forward does it.
            credential_current_sign_count=0,
            require_user_verification=expected.require_user_verification,
        )
    except Exception as error:  # whatever fails: see the module docstring
        raise CeremonyError(f"authentication: {error}") from error
    return Assertion(
        sign_count=verified.new_sign_count,
        user_verified=verified.user_verified,
        backed_up=verified.credential_backed_up,
    )


def counter_moved_forward(stored: int, received: int) -> bool:
    """§7.2 step 21: a counter must grow with every assertion, unless the authenticator keeps
    none (both zero, as synced passkeys report). Anything else may be a cloned key."""
    return received > stored or (received == 0 and stored == 0)
