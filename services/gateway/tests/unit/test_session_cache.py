"""The gateway's session cache: bounded lifetime, per-user eviction, never used untrusted."""

import time

from authmesh_gateway.sessions.cache import CachedSession, SessionCache


def entry(user_id: str = "u1", expires_in_s: float = 3600) -> CachedSession:
    return CachedSession(
        user_id=user_id, expires_at=time.time() + expires_in_s, body=b"{}", dont_remember=False
    )


def test_an_untrusted_cache_neither_answers_nor_stores() -> None:
    cache = SessionCache(ttl_s=60)
    cache.put(b"a", entry(), cache.generation)
    assert cache.get(b"a") is None and len(cache) == 0


def test_entries_answer_until_evicted_alone_or_with_their_user() -> None:
    cache = SessionCache(ttl_s=60)
    cache.usable = True
    cache.put(b"a", entry("u1"), cache.generation)
    cache.put(b"b", entry("u1"), cache.generation)
    cache.put(b"c", entry("u2"), cache.generation)
    assert cache.get(b"a") is not None
    cache.evict(b"a")
    assert cache.get(b"a") is None
    cache.evict_user("u1")
    assert cache.get(b"b") is None and cache.get(b"c") is not None


def test_an_entry_never_outlives_its_session_or_the_ttl() -> None:
    cache = SessionCache(ttl_s=60)
    cache.usable = True
    cache.put(b"expired", entry(expires_in_s=-1), cache.generation)
    assert cache.get(b"expired") is None
    short = SessionCache(ttl_s=0.01)
    short.usable = True
    short.put(b"a", entry(), short.generation)
    time.sleep(0.02)
    assert short.get(b"a") is None


def test_the_cache_is_bounded() -> None:
    cache = SessionCache(ttl_s=60, max_entries=2)
    cache.usable = True
    for key in (b"a", b"b", b"c"):
        cache.put(key, entry(), cache.generation)
    assert len(cache) <= 2


def test_a_lookup_that_raced_an_eviction_is_not_cached() -> None:
    """A get-session that read a session while it was being revoked must not cache it: the
    eviction ran before the answer came back."""
    cache = SessionCache(ttl_s=60)
    cache.usable = True
    started_at = cache.generation
    cache.evict(b"a")  # the revocation arrives while the lookup is in flight
    cache.put(b"a", entry(), started_at)
    assert cache.get(b"a") is None
    cache.put(b"a", entry(), cache.generation)
    assert cache.get(b"a") is not None
