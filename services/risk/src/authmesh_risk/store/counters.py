"""Sliding-window counters in Redis: one sorted set per key, members the ids of the events
counted (so a redelivered event is counted once), scores their times in milliseconds.

Keys carry the namespace (`<ns>:risk:...`) and expire with their window. Reading trims what
fell out of the window and counts the rest, in one pipeline. Redis trouble never blocks a
sign-in: reads answer None after a short timeout, and the score notes the gap.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from authmesh_risk.domain.model import Counts
from authmesh_risk.domain.scoring import Windows

log = structlog.get_logger(__name__)

_TIMEOUT_S = 0.1


@dataclass(frozen=True)
class _Window:
    key: str
    window_ms: int


def _glob_escaped(text: str) -> str:
    """`text` matched literally by SCAN's MATCH (ids are opaque: imported ones may hold `*`)."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


class RedisCounters:
    def __init__(self, client: "redis.asyncio.Redis", namespace: str, windows: Windows) -> None:
        self._redis = client
        self._prefix = f"{namespace}:risk"
        self._windows = windows

    @classmethod
    def connect(cls, url: str, namespace: str, windows: Windows) -> "RedisCounters":
        client = redis.asyncio.Redis.from_url(
            url,
            socket_timeout=_TIMEOUT_S,
            socket_connect_timeout=_TIMEOUT_S,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, namespace, windows)

    async def close(self) -> None:
        await self._redis.aclose()

    # Keys -----------------------------------------------------------------------------------

    def _account(self, user_id: str) -> _Window:
        return _Window(f"{self._prefix}:fail:account:{user_id}", self._windows.failures_s * 1000)

    def _pair(self, user_id: str, ip: str) -> _Window:
        return _Window(f"{self._prefix}:fail:pair:{user_id}:{ip}", self._windows.failures_s * 1000)

    def _ip(self, ip: str) -> _Window:
        return _Window(f"{self._prefix}:fail:ip:{ip}", self._windows.ip_failures_s * 1000)

    def _sign_ups(self, network: str) -> _Window:
        return _Window(f"{self._prefix}:signup:net:{network}", self._windows.velocity_s * 1000)

    def _sign_ins(self, network: str) -> _Window:
        return _Window(f"{self._prefix}:signin:net:{network}", self._windows.velocity_s * 1000)

    # Writes (from event consumers) ------------------------------------------------------------

    async def add_failure(self, *, event_id: str, at_ms: int, user_id: str, ip: str) -> None:
        windows = []
        if user_id:
            windows.append(self._account(user_id))
            windows.append(self._pair(user_id, ip))
        if ip:
            windows.append(self._ip(ip))
        await self._add(windows, event_id, at_ms)

    async def add_sign_up(self, *, event_id: str, at_ms: int, network: str) -> None:
        await self._add([self._sign_ups(network)], event_id, at_ms)

    async def add_sign_in(self, *, event_id: str, at_ms: int, network: str) -> None:
        await self._add([self._sign_ins(network)], event_id, at_ms)

    async def _add(self, windows: Sequence[_Window], member: str, at_ms: int) -> None:
        if not windows:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for window in windows:
                pipe.zadd(window.key, {member: at_ms})
                pipe.pexpire(window.key, window.window_ms)
            await pipe.execute()

    async def clear_user(self, user_id: str) -> None:
        """Forgets the user's account and account+IP failures (an admin's unlock)."""
        keys = [self._account(user_id).key]
        pattern = f"{self._prefix}:fail:pair:{_glob_escaped(user_id)}:*"
        async for key in self._redis.scan_iter(match=pattern):
            keys.append(key)
        await self._redis.delete(*keys)

    # Reads (Assess) -------------------------------------------------------------------------

    async def read(self, *, now_ms: int, user_id: str, ip: str, network: str) -> Counts:
        windows = [self._account(user_id), self._pair(user_id, ip)]
        if ip:
            windows += [self._ip(ip), self._sign_ups(network), self._sign_ins(network)]
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for window in windows:
                    pipe.zremrangebyscore(window.key, "-inf", now_ms - window.window_ms)
                    pipe.zcard(window.key)
                results = await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("risk counters unavailable", error=str(error) or type(error).__name__)
            return Counts(None, None, None, None, None)
        counts = [int(result) for result in results[1::2]]
        counts += [0] * (5 - len(counts))
        return Counts(*counts)
