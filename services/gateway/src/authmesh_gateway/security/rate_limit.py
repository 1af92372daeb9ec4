"""Rate limiting with Better-Auth's algorithm, shared by every gateway replica through Redis
(api.md §6, DESIGN §2 and §5).

The algorithm (`decideConsume` in better-auth 1.7.25): a bucket holds `count` and `lastRequest`.
If `now - lastRequest >= window` the count restarts at 1; else if `count >= max` the request is
refused with `X-Retry-After = ceil((lastRequest + window - now) / 1 s)`; else `count += 1`. Each
allowed hit moves `lastRequest` to now; a refused one changes nothing.

`RedisBuckets` runs that step as a Lua script (one round trip, atomic across replicas, clock
from the Redis server so replicas' clocks do not matter). When Redis errors or does not answer
within a short timeout, `RateLimiter` opens a circuit breaker for a few seconds and `LocalBuckets`
— the same algorithm in this process — decides meanwhile: never a stalled request, never an
unlimited one. One request probes Redis when the breaker's time is up.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, cast

import redis.asyncio
import structlog
from prometheus_client import Counter
from redis.asyncio.connection import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from authmesh_gateway.security.rules import Rule
from authmesh_kit.observability.metrics import BACKEND_UP

log = structlog.get_logger(__name__)

_DECISIONS = Counter(
    "authmesh_gateway_rate_limit_decisions_total",
    "Rate-limit decisions by store and outcome",
    ["store", "outcome"],
)
_SHARED_ALLOWED = _DECISIONS.labels("redis", "allowed")
_SHARED_REFUSED = _DECISIONS.labels("redis", "refused")
_LOCAL_ALLOWED = _DECISIONS.labels("local", "allowed")
_LOCAL_REFUSED = _DECISIONS.labels("local", "refused")
_REDIS_UP = BACKEND_UP.labels("redis")

# One check per key: KEYS[i] is a bucket, and the i-th "<window ms>:<max>" of ARGV[1] (space
# separated) its rule. Answers the checks' results, space separated: 0 when allowed, else the
# milliseconds until the window ends. One string each way, because redis-py spends more on
# each argument and array element than Redis spends on the whole script. A bucket is
# "<count>:<lastRequest ms>", expiring one window after its last allowed hit, when it could no
# longer refuse anything. Keys are handled one after the other: a key twice counts twice.
_CONSUME = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local answers = {}
local i = 0
for window, max in string.gmatch(ARGV[1], '(%d+):(%d+)') do
  i = i + 1
  local key = KEYS[i]
  window = tonumber(window)
  max = tonumber(max)
  local count = 0
  local wait = 0
  local value = redis.call('GET', key)
  if value then
    local sep = string.find(value, ':', 1, true)
    local last = tonumber(string.sub(value, sep + 1))
    if now - last < window then
      count = tonumber(string.sub(value, 1, sep - 1))
      if count >= max then
        wait = last + window - now
      end
    end
  end
  if wait == 0 then
    redis.call('SET', key, string.format('%d:%d', count + 1, now), 'PX', window)
  end
  answers[i] = string.format('%d', wait)
end
return table.concat(answers, ' ')
"""


def retry_after_s(remaining_ms: int) -> int:
    """Better-Auth's `Math.ceil` of the seconds left, at least 1."""
    return max(1, -(-remaining_ms // 1000))


class Buckets(Protocol):
    async def consume(self, key: str, rule: Rule) -> int:
        """0 when the hit is allowed, else the milliseconds until the bucket admits one."""
        ...


class LocalBuckets:
    """The algorithm in this process's memory: the fallback while Redis is unreachable.

    Bounded like Better-Auth's memory store: expired buckets are pruned when it is full, then
    the oldest are dropped."""

    def __init__(self, max_entries: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._buckets: dict[str, tuple[int, int, int]] = {}  # key → count, last ms, window ms

    def consume_now(self, key: str, rule: Rule) -> int:
        now = int(self._clock() * 1000)
        window = rule.window_ms
        count = 0
        found = self._buckets.get(key)
        if found is not None and now - found[1] < window:
            count = found[0]
            if count >= rule.max:
                _LOCAL_REFUSED.inc()
                return found[1] + window - now
        if found is None and len(self._buckets) >= self._max_entries:
            self._prune(now)
        self._buckets[key] = (count + 1, now, window)
        _LOCAL_ALLOWED.inc()
        return 0

    async def consume(self, key: str, rule: Rule) -> int:
        return self.consume_now(key, rule)

    def _prune(self, now: int) -> None:
        self._buckets = {
            key: entry for key, entry in self._buckets.items() if now - entry[1] < entry[2]
        }
        overflow = len(self._buckets) - self._max_entries + 1
        for key in list(self._buckets)[: max(0, overflow)]:
            del self._buckets[key]


class RedisBuckets:
    """The algorithm as one Lua script in Redis, with short timeouts and no retries: a slow
    Redis must fail fast so that the breaker can take over.

    Checks are sent in batches, as the keys of one EVALSHA, with one batch in flight at a time:
    a check that arrives while one is out waits for it and goes with the next. Idle, each check
    goes alone at once; busy, a replica pays redis-py's per-command cost (~250 µs of CPU
    measured here) once per round trip instead of once per request."""

    def __init__(
        self, client: "redis.asyncio.Redis", *, deadline_s: float = 0.2, max_batch: int = 256
    ) -> None:
        self.client = client
        self._deadline_s = deadline_s
        self._script = client.register_script(_CONSUME)
        self._max_batch = max_batch
        self._pending: list[tuple[str, Rule, asyncio.Future[int]]] = []
        self._busy = False  # a batch is scheduled or in flight
        self._sending: asyncio.Task[None] | None = None

    @classmethod
    def connect(cls, url: str, timeout_s: float, max_connections: int = 4) -> "RedisBuckets":
        """A client that neither retries nor waits longer than `timeout_s` for a connection,
        a connect or an answer. Nothing is connected until the first check."""
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(redis.asyncio.Redis(connection_pool=pool), deadline_s=2 * timeout_s)

    async def consume(self, key: str, rule: Rule) -> int:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[int] = loop.create_future()
        self._pending.append((key, rule, answer))
        if not self._busy:
            self._busy = True
            loop.call_soon(self._flush)  # after the other checks of this loop iteration
        return await answer

    def _flush(self) -> None:
        batch = self._pending[: self._max_batch]
        del self._pending[: self._max_batch]
        if not batch:
            self._busy = False
            return
        self._sending = asyncio.get_running_loop().create_task(self._send(batch))

    async def _send(self, batch: list[tuple[str, Rule, "asyncio.Future[int]"]]) -> None:
        rules = " ".join(f"{rule.window_ms}:{rule.max}" for _, rule, _ in batch)
        try:
            # redis-py's own timeouts bound each step; this bounds their sum.
            async with asyncio.timeout(self._deadline_s):
                answer_text = await cast(
                    Awaitable[bytes],
                    self._script(keys=[key for key, _, _ in batch], args=[rules]),
                )
            answers = answer_text.split()
            if len(answers) != len(batch):
                raise TypeError(f"rate-limit script answered {answer_text!r}")
        except asyncio.CancelledError:
            for _, _, answer in batch:
                answer.cancel()
            raise
        except Exception as error:  # noqa: BLE001 - each waiting check gets the store's failure
            # The checks queued behind this batch would meet the same store: they fail now too.
            batch += self._pending
            self._pending = []
            for _, _, answer in batch:
                if not answer.done():
                    answer.set_exception(error)
            self._busy = False
            return
        for (_, _, answer), text in zip(batch, answers, strict=True):
            remaining = int(text)
            (_SHARED_REFUSED if remaining else _SHARED_ALLOWED).inc()
            if not answer.done():
                answer.set_result(remaining)
        self._flush()

    async def close(self) -> None:
        if self._sending is not None:
            self._sending.cancel()
        for _, _, answer in self._pending:
            answer.cancel()
        self._pending = []
        await self.client.aclose()
        await self.client.connection_pool.disconnect()


class RateLimiter:
    """Redis behind a circuit breaker, with `LocalBuckets` while it is open."""

    def __init__(
        self,
        shared: Buckets | None,
        local: LocalBuckets,
        *,
        open_for_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = shared
        self._local = local
        self._open_for_s = open_for_s
        self._clock = clock
        self._open_until = 0.0  # 0: closed
        self._probing = False
        self._up = False  # Redis answered last time (False until its first answer)

    @property
    def is_open(self) -> bool:
        return self._open_until != 0.0

    async def consume(self, key: str, rule: Rule) -> int:
        """0 when allowed, else the milliseconds to wait (see `retry_after_s`)."""
        shared = self._shared
        if shared is None:
            return self._local.consume_now(key, rule)
        probe = False
        if self._open_until:
            if self._probing or self._clock() < self._open_until:
                return self._local.consume_now(key, rule)
            self._probing = probe = True  # this request probes; the others stay local meanwhile
        try:
            remaining = await shared.consume(key, rule)
        except Exception as error:  # noqa: BLE001 - any store failure means: decide locally
            self._trip(error)
            return self._local.consume_now(key, rule)
        finally:
            if probe:
                self._probing = False
        if not self._up:
            self._up = True
            _REDIS_UP.set(1)
            if self._open_until:
                self._open_until = 0.0
                log.warning("rate-limit store answers again: limits are shared across replicas")
        return remaining

    def _trip(self, error: Exception) -> None:
        self._up = False
        _REDIS_UP.set(0)
        if not self._open_until:
            log.warning(
                "rate-limit store unavailable: limiting per replica until it answers",
                error=repr(error),
                retry_in_s=self._open_for_s,
            )
        self._open_until = self._clock() + self._open_for_s
