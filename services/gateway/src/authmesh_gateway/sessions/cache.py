"""The per-process session cache of the hot path (DESIGN §2).

Entries are keyed by the token's SHA-256, live at most `ttl_s` (≤ 60 s), are checked against the
session's own expiry on every read, and are indexed by user so that user-level events evict all
of a user's sessions. Revocations are pushed (sessions/revocations.py); while that push cannot
be trusted — NATS disconnected — the cache is bypassed and cleared, never served stale.
"""

import time
from dataclasses import dataclass

from prometheus_client import Counter

_LOOKUPS = Counter("authmesh_session_cache_lookups_total", "Session cache lookups", ["result"])
_HIT = _LOOKUPS.labels("hit")
_MISS = _LOOKUPS.labels("miss")


@dataclass(frozen=True)
class CachedSession:
    user_id: str
    expires_at: float  # epoch seconds
    body: bytes  # the serialized get-session answer, ready to send
    dont_remember: bool  # how a cookie cache written from `body` is signed and kept


class SessionCache:
    def __init__(self, ttl_s: float, max_entries: int = 100_000) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: dict[bytes, tuple[CachedSession, float]] = {}
        self._by_user: dict[str, set[bytes]] = {}
        self.usable = False  # set by the revocation listener while it is subscribed
        # Bumped by every eviction. A lookup that started before an eviction must not cache
        # what it read: the session may have been revoked while it was being fetched, and the
        # revocation's eviction already ran against an empty slot.
        self.generation = 0

    def get(self, token_hash: bytes) -> CachedSession | None:
        if not self.usable:
            return None
        found = self._entries.get(token_hash)
        now = time.time()
        if found is None or found[1] <= now or found[0].expires_at <= now:
            _MISS.inc()
            if found is not None:
                self.evict(token_hash)
            return None
        _HIT.inc()
        return found[0]

    def put(self, token_hash: bytes, entry: CachedSession, generation: int) -> None:
        """Caches `entry`, read when `self.generation` was `generation`, unless an eviction
        happened since."""
        if not self.usable or self._ttl_s <= 0 or generation != self.generation:
            return
        if len(self._entries) >= self._max_entries:
            self.clear()  # crude but bounded; a full cache only costs misses
        self._entries[token_hash] = (entry, time.time() + self._ttl_s)
        self._by_user.setdefault(entry.user_id, set()).add(token_hash)

    def evict(self, token_hash: bytes) -> None:
        self.generation += 1
        found = self._entries.pop(token_hash, None)
        if found is not None:
            hashes = self._by_user.get(found[0].user_id)
            if hashes is not None:
                hashes.discard(token_hash)
                if not hashes:
                    del self._by_user[found[0].user_id]

    def evict_user(self, user_id: str) -> None:
        self.generation += 1
        for token_hash in self._by_user.pop(user_id, set()):
            self._entries.pop(token_hash, None)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._by_user.clear()

    def __len__(self) -> int:
        return len(self._entries)
