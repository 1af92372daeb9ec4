"""The encryption key ring (DESIGN §4): AES-256-GCM keys by id, the first one current.

`AUTHMESH_ENCRYPTION_KEYS=kid2:base64,kid1:base64` seals with `kid2` and opens anything sealed
with either, so keys rotate by prepending a new one and dropping the old one once nothing sealed
with it remains. The key id is authenticated (associated data), so a ciphertext cannot be
replayed under another key's id.
"""

import base64
import binascii
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class UndecryptableError(Exception):
    """Unknown key id, or a ciphertext that fails authentication."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: bytes
    ciphertext: bytes


def new_key_ring_spec(key_id: str = "k1") -> str:
    """A fresh one-key spec, for development stacks and tests."""
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


class KeyRing:
    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("the key ring needs at least one key")
        for key_id, key in keys:
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be {KEY_BYTES} bytes")
        self._current_id = keys[0][0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    @classmethod
    def from_spec(cls, spec: str) -> "KeyRing":
        keys = []
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key_id, _, encoded = item.partition(":")
            try:
                keys.append((key_id, base64.b64decode(encoded, validate=True)))
            except binascii.Error:
                raise ValueError(f"key {key_id!r} is not base64") from None
        return cls(keys)

    def seal(self, plaintext: bytes, context: bytes = b"") -> Sealed:
        """`context` binds the ciphertext to its purpose; it must be given again to open it."""
        nonce = os.urandom(NONCE_BYTES)
        associated = self._current_id.encode() + b"\0" + context
        ciphertext = self._ciphers[self._current_id].encrypt(nonce, plaintext, associated)
        return Sealed(self._current_id, nonce, ciphertext)

    def open(self, sealed: Sealed, context: bytes = b"") -> bytes:
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise UndecryptableError(f"unknown key id {sealed.key_id!r}")
        try:
            return cipher.decrypt(
                sealed.nonce, sealed.ciphertext, sealed.key_id.encode() + b"\0" + context
            )
        except InvalidTag:
            raise UndecryptableError("ciphertext failed authentication") from None
