"""Service-to-service authentication with signed service tokens.

Every process holds its own Ed25519 private key and the public keys of all services. A caller
sends `authorization: Bearer <JWT>` (EdDSA, `iss` = caller, `aud` = callee, 5 minutes); the
callee verifies it and checks `iss` against the callers its RPC allows. A pod that is not the
gateway therefore cannot use identity.VerifyPassword as a password oracle.
"""

import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

TOKEN_LIFETIME_S = 300
_RENEW_BEFORE_S = 60
_MAX_CACHED_TOKENS = 1024


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def generate_key_pair() -> tuple[str, str]:
    """A new (private, public) pair, each the base64url of the raw 32-byte key."""
    private = Ed25519PrivateKey.generate()
    return _b64encode(private.private_bytes_raw()), _b64encode(
        private.public_key().public_bytes_raw()
    )


def parse_public_keys(spec: str) -> dict[str, Ed25519PublicKey]:
    """Reads `name:base64url,name:base64url` into public keys by service name."""
    keys: dict[str, Ed25519PublicKey] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, encoded = item.partition(":")
        keys[name] = Ed25519PublicKey.from_public_bytes(_b64decode(encoded))
    return keys


class ServiceTokenIssuer:
    """Signs this service's tokens, one per audience, reused until shortly before expiry."""

    def __init__(self, service: str, private_key: str) -> None:
        self._service = service
        self._key = Ed25519PrivateKey.from_private_bytes(_b64decode(private_key))
        self._tokens: dict[str, tuple[str, float]] = {}

    def token_for(self, audience: str) -> str:
        now = time.time()
        cached = self._tokens.get(audience)
        if cached and cached[1] - _RENEW_BEFORE_S > now:
            return cached[0]
        expires = now + TOKEN_LIFETIME_S
        claims = {"iss": self._service, "aud": audience, "iat": int(now), "exp": int(expires)}
        token = jwt.encode(claims, self._key, algorithm="EdDSA")
        self._tokens[audience] = (token, expires)
        return token


@dataclass(frozen=True)
class Caller:
    service: str


class ServiceTokenVerifier:
    """Checks tokens addressed to this service; verified tokens are cached until they expire."""

    def __init__(self, service: str, public_keys: Mapping[str, Ed25519PublicKey]) -> None:
        self._service = service
        self._keys = dict(public_keys)
        self._verified: dict[str, tuple[Caller, float]] = {}

    def verify(self, token: str) -> Caller | None:
        now = time.time()
        cached = self._verified.get(token)
        if cached and cached[1] > now:
            return cached[0]
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            issuer = str(unverified.get("iss", ""))
            key = self._keys.get(issuer)
            if key is None:
                return None
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=self._service,
                issuer=issuer,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            return None
        caller = Caller(service=issuer)
        if len(self._verified) >= _MAX_CACHED_TOKENS:
            self._verified.clear()
        self._verified[token] = (caller, float(claims["exp"]))
        return caller
