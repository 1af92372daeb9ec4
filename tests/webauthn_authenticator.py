"""A software WebAuthn authenticator for tests: what a browser and a platform authenticator
return from `navigator.credentials.create()` and `.get()`, as the JSON of
`PublicKeyCredential.toJSON()` that Better-Auth's client posts.

Built only on `cryptography` and `cbor2` (FEASIBILITY row 4, option b): ES256 keys, attestation
"none", authenticator data as WebAuthn Level 3 §6.1 lays it out. The caller says which origin
and RP id the "browser" claims, so that tests can lie about both.
"""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

# Authenticator data flags (WebAuthn §6.1).
USER_PRESENT = 0x01
USER_VERIFIED = 0x04
ATTESTED_CREDENTIAL_DATA = 0x40
ES256 = -7


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: ES256,
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class SoftwareAuthenticator:
    """`origin` and `rp_id` are what the browser would put in clientDataJSON and hash into the
    authenticator data; each call may override them."""

    origin: str
    rp_id: str
    user_verified: bool = True
    credentials: list[Credential] = field(default_factory=list)

    def create(
        self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None
    ) -> dict[str, Any]:
        """A RegistrationResponseJSON for PublicKeyCredentialCreationOptionsJSON `options`."""
        rp_id = rp_id or options.get("rp", {}).get("id") or self.rp_id
        excluded = {item["id"] for item in options.get("excludeCredentials", [])}
        if any(b64url(credential.id) in excluded for credential in self.credentials):
            raise ValueError("InvalidStateError: a credential of this authenticator is excluded")
        credential = Credential(
            id=secrets.token_bytes(16),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=from_b64url(options["user"]["id"]),
        )
        self.credentials.append(credential)
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attested = (
            bytes(16)  # AAGUID: all zero, as attestation "none" allows
            + len(credential.id).to_bytes(2, "big")
            + credential.id
            + credential.cose_public_key()
        )
        auth_data = self._auth_data(rp_id, ATTESTED_CREDENTIAL_DATA, 0) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "type": "public-key",
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        sign_count: int | None = None,
    ) -> dict[str, Any]:
        """An AuthenticationResponseJSON for PublicKeyCredentialRequestOptionsJSON `options`:
        with the first allowed credential, or, when none is listed, the first discoverable one
        of the RP. `sign_count` forces the counter (a cloned authenticator's)."""
        credential = self._pick(options)
        if sign_count is None:
            credential.sign_count += 1
            sign_count = credential.sign_count
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = self._auth_data(rp_id or options.get("rpId") or self.rp_id, 0, sign_count)
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "type": "public-key",
        }

    def _pick(self, options: dict[str, Any]) -> Credential:
        allowed = {item["id"] for item in options.get("allowCredentials") or []}
        rp_id = options.get("rpId") or self.rp_id
        for credential in self.credentials:
            if (b64url(credential.id) in allowed) if allowed else credential.rp_id == rp_id:
                return credential
        raise LookupError("NotAllowedError: no credential of this authenticator is allowed")

    def _client_data(self, ceremony: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": ceremony,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode()

    def _auth_data(self, rp_id: str, flags: int, sign_count: int) -> bytes:
        flags |= USER_PRESENT | (USER_VERIFIED if self.user_verified else 0)
        return (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + sign_count.to_bytes(4, "big")
        )
