"""The JWT signing keys (Better-Auth's jwt plugin, api.md §7): Ed25519 key pairs created on
first use and replaced once their rotation time has passed (key_set.py).

The private half is stored sealed with the key ring (AES-256-GCM, DESIGN §4), bound to its key
id; the public half is published as a JWK (RFC 8037) until every token the key signed has
expired, that is for a grace period after it stopped signing.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from authmesh_kit.crypto.key_ring import KeyRing, Sealed
from authmesh_kit.ids import new_id

ALG = "EdDSA"
CRV = "Ed25519"
KTY = "OKP"


@dataclass(frozen=True)
class JwtPolicy:
    issuer: str
    audience: str
    expires_in: timedelta
    rotation_interval: timedelta
    # How long a key stays published after it stopped signing; at least `expires_in`, so that
    # every token it signed can still be verified until it expires.
    grace_period: timedelta

    def __post_init__(self) -> None:
        if self.grace_period < self.expires_in:
            raise ValueError("the grace period must outlast the tokens (grace >= expires_in)")


@dataclass(frozen=True)
class SigningKey:
    id: str  # the JWK `kid`
    alg: str
    crv: str
    public_key: str  # the public JWK as JSON, as Better-Auth's `jwks.publicKey` holds it
    private_key: Sealed  # the raw 32-byte Ed25519 private key, sealed
    created_at: datetime
    expires_at: datetime  # signs until then; published until `expires_at + grace_period`

    def public_jwk(self) -> dict[str, Any]:
        """The JWKS entry, keys in Better-Auth's order: alg, crv, x, kty, kid."""
        public: dict[str, Any] = json.loads(self.public_key)
        return {"alg": self.alg, "crv": self.crv, **public, "kid": self.id}


def _context(key_id: str) -> bytes:
    return f"session.signing_key:{key_id}".encode()


def new_signing_key(key_ring: KeyRing, now: datetime, rotation_interval: timedelta) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    key_id = new_id()
    x = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)["x"]
    return SigningKey(
        id=key_id,
        alg=ALG,
        crv=CRV,
        public_key=json.dumps({"crv": CRV, "x": x, "kty": KTY}, separators=(",", ":")),
        private_key=key_ring.seal(private.private_bytes_raw(), _context(key_id)),
        created_at=now,
        expires_at=now + rotation_interval,
    )


def open_private_key(key_ring: KeyRing, key: SigningKey) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(key_ring.open(key.private_key, _context(key.id)))
