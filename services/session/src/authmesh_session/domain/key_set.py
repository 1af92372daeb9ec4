"""The JSON Web Key Set of the session service: the key to sign with, and the keys to
publish (RFC 7517 §5)."""

from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_session.domain.ports import SigningKeyStore
from authmesh_session.domain.signing_keys import (
    JwtPolicy,
    SigningKey,
    new_signing_key,
    open_private_key,
)


@dataclass(frozen=True)
class CurrentKey:
    id: str
    private_key: Ed25519PrivateKey
    expires_at: datetime


class KeySet:
    """The current key is opened once and kept in memory until its rotation time. Every
    replica then finds, or creates, the same next key: the store adds one only when no key is
    current, under a lock."""

    def __init__(self, store: SigningKeyStore, key_ring: KeyRing, policy: JwtPolicy) -> None:
        self._store = store
        self._key_ring = key_ring
        self._policy = policy
        self._current: CurrentKey | None = None

    async def current(self, now: datetime) -> CurrentKey:
        if self._current is not None and self._current.expires_at > now:
            return self._current
        key = await self._store.current_or_add(
            now,
            new_signing_key(self._key_ring, now, self._policy.rotation_interval),
            retired_before=now - self._policy.grace_period,
        )
        self._current = CurrentKey(key.id, open_private_key(self._key_ring, key), key.expires_at)
        return self._current

    async def published(self, now: datetime) -> list[SigningKey]:
        """Newest first; the first key is created when there is none, as Better-Auth's
        /jwks does."""
        keys = await self._store.published_since(now - self._policy.grace_period)
        if not keys:
            await self.current(now)
            keys = await self._store.published_since(now - self._policy.grace_period)
        return keys
