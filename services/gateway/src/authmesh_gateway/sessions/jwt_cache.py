"""The gateway's cache of JWTs (sessions/jwts.py): each kept until shortly before it
expires (DESIGN §2: the `set-auth-jwt` JWT is cached per session)."""

import time

from authmesh_gateway.clients.tokens import IssuedToken

# A cached JWT is replaced once it has less than this left to live.
RENEW_BEFORE_S = 60.0


class JwtCache:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._max_entries = max_entries
        self._entries: dict[bytes, IssuedToken] = {}

    def get(self, key: bytes) -> str | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if found.expires_at - RENEW_BEFORE_S <= time.time():
            del self._entries[key]
            return None
        return found.token

    def put(self, key: bytes, issued: IssuedToken) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.clear()  # bounded; a full cache only costs signatures
        self._entries[key] = issued

    def __len__(self) -> int:
        return len(self._entries)
