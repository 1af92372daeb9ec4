"""Rate-limit rules, Better-Auth's algorithm in Redis and in memory, and the circuit breaker
that keeps the gateway answering when Redis does not (api.md §6, DESIGN §5).

The Redis tests use the real server at 127.0.0.1:6379 (AUTHMESH_TEST_REDIS_URL), under keys of
their own that expire by themselves."""

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from authmesh_gateway.security.rate_limit import (
    LocalBuckets,
    RateLimiter,
    RedisBuckets,
    retry_after_s,
)
from authmesh_gateway.security.rules import GLOBAL, Rule, RuleBook, bucket_path, rule_for

REDIS_URL = os.environ.get("AUTHMESH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# --- rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        # Built-in special rules.
        ("/sign-in/email", Rule(10, 3)),
        ("/sign-in/username", Rule(10, 3)),  # no plugin rule: stays 3 per 10 s
        ("/sign-in/phone-number", Rule(10, 3)),
        ("/sign-up/email", Rule(10, 3)),
        ("/change-password", Rule(10, 3)),
        ("/change-email", Rule(10, 3)),
        ("/request-password-reset", Rule(60, 3)),
        ("/send-verification-email", Rule(60, 3)),
        ("/forget-password", Rule(60, 3)),
        ("/forget-password/x", Rule(60, 3)),
        # Plugin rules replace the built-in ones.
        ("/two-factor/verify-totp", Rule(10, 3)),
        ("/email-otp/send-verification-otp", Rule(60, 3)),
        ("/email-otp/check-verification-otp", Rule(60, 3)),
        ("/email-otp/verify-email", Rule(60, 3)),
        ("/sign-in/email-otp", Rule(60, 3)),
        ("/email-otp/request-password-reset", Rule(60, 3)),
        ("/email-otp/reset-password", Rule(60, 3)),
        ("/forget-password/email-otp", Rule(60, 3)),
        ("/email-otp/request-email-change", Rule(60, 3)),
        ("/email-otp/change-email", Rule(60, 3)),
        ("/sign-in/magic-link", Rule(60, 5)),
        ("/magic-link/verify", Rule(60, 5)),
        ("/phone-number/send-otp", Rule(60, 10)),
        # Everything else.
        ("/get-session", GLOBAL),
        ("/ok", GLOBAL),
        ("/two-factor", GLOBAL),  # the plugin's prefix has a trailing slash
        ("/email-otp/unknown", GLOBAL),
        ("/Sign-In/email", GLOBAL),  # no case folding (and no route: a 404)
        ("/", GLOBAL),
    ],
)
def test_rules_follow_better_auth(path: str, rule: Rule) -> None:
    assert rule_for(path) == rule


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("/api/auth/sign-in/email", "/sign-in/email"),
        ("/api/auth/sign-in/email/", "/sign-in/email"),  # same bucket as without the slash
        ("/api/auth/sign-in/email///", "/sign-in/email"),
        ("/api/auth", "/"),
        ("/api/auth/", "/"),
        ("/api/auth/sign-in%2Femail", "/sign-in%2Femail"),  # still a /sign-in bucket
        ("/api/authx/ok", "/api/authx/ok"),
        ("/api/other/", "/api/other"),
        ("/", "/"),
    ],
)
def test_bucket_paths(raw: str, path: str) -> None:
    assert bucket_path(raw) == path


def test_long_paths_share_a_bucket() -> None:
    assert bucket_path("/api/auth/" + "a" * 5000) == bucket_path("/api/auth/" + "a" * 6000)


def test_the_rule_book_memoises_within_bounds() -> None:
    book = RuleBook(max_entries=2)
    for index in range(5):
        assert book.lookup(f"/api/auth/x{index}".encode()) == (f"/x{index}", GLOBAL)
    assert book.lookup(b"/api/auth/sign-in/email/") == ("/sign-in/email", Rule(10, 3))


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    assert [retry_after_s(ms) for ms in (1, 999, 1000, 1001, 10_000)] == [1, 1, 1, 2, 10]


# --- the algorithm in memory --------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_local_buckets_run_better_auths_algorithm() -> None:
    clock = FakeClock()
    buckets = LocalBuckets(clock=clock)
    rule = Rule(10, 3)
    for offset in (0, 5, 9):  # each allowed hit moves lastRequest
        clock.now = 1_000 + offset
        assert buckets.consume_now("k", rule) == 0
    clock.now = 1_012
    assert buckets.consume_now("k", rule) == 7_000  # lastRequest (9) + 10 - 12
    assert buckets.consume_now("other", rule) == 0  # another bucket is unaffected
    clock.now = 1_018.5
    assert buckets.consume_now("k", rule) == 500  # a refusal does not move lastRequest
    clock.now = 1_019
    assert buckets.consume_now("k", rule) == 0  # a window after the last allowed hit: reset
    assert buckets.consume_now("k", rule) == 0
    assert buckets.consume_now("k", rule) == 0
    assert buckets.consume_now("k", rule) > 0


def test_local_buckets_stay_bounded() -> None:
    clock = FakeClock()
    buckets = LocalBuckets(max_entries=10, clock=clock)
    for index in range(25):
        buckets.consume_now(f"k{index}", GLOBAL)
    assert len(buckets._buckets) <= 10
    assert buckets.consume_now("k24", Rule(10, 1)) > 0  # the newest are kept


# --- the algorithm in Redis ---------------------------------------------------------------------


@pytest.fixture
async def shared() -> AsyncIterator[RedisBuckets]:
    buckets = RedisBuckets.connect(REDIS_URL, timeout_s=1.0)
    yield buckets
    await buckets.close()


def _key() -> str:
    return f"unit_{uuid.uuid4().hex}:rl:10.0.0.1|/sign-in/email"


async def test_redis_buckets_refuse_the_fourth_hit_until_the_window_ends(
    shared: RedisBuckets,
) -> None:
    key = _key()
    rule = Rule(10, 3)
    assert [await shared.consume(key, rule) for _ in range(3)] == [0, 0, 0]
    remaining = await shared.consume(key, rule)
    assert 9_000 < remaining <= 10_000
    assert retry_after_s(remaining) == 10
    assert await shared.consume(_key(), rule) == 0  # another IP's bucket
    # The bucket expires one window after its last allowed hit.
    ttl = await shared.client.pttl(key)
    assert 0 < ttl <= 10_000


async def test_redis_buckets_reset_after_the_window(shared: RedisBuckets) -> None:
    key = _key()
    rule = Rule(1, 1)
    assert await shared.consume(key, rule) == 0
    assert await shared.consume(key, rule) > 0
    await asyncio.sleep(1.05)
    assert await shared.consume(key, rule) == 0


async def test_redis_buckets_are_atomic_under_concurrency(shared: RedisBuckets) -> None:
    key = _key()
    decisions = await asyncio.gather(*(shared.consume(key, Rule(10, 3)) for _ in range(50)))
    assert sum(1 for remaining in decisions if remaining == 0) == 3


async def test_two_replicas_share_one_budget() -> None:
    key = _key()
    first = RedisBuckets.connect(REDIS_URL, timeout_s=1.0)
    second = RedisBuckets.connect(REDIS_URL, timeout_s=1.0)
    try:
        rule = Rule(10, 3)
        answers = [
            await first.consume(key, rule),
            await second.consume(key, rule),
            await first.consume(key, rule),
            await second.consume(key, rule),
        ]
    finally:
        await first.close()
        await second.close()
    assert answers[:3] == [0, 0, 0] and answers[3] > 0


async def test_the_script_is_loaded_again_after_a_script_flush(shared: RedisBuckets) -> None:
    key = _key()
    assert await shared.consume(key, Rule(10, 3)) == 0
    raw = redis.asyncio.from_url(REDIS_URL)
    try:
        await raw.script_flush()
    finally:
        await raw.aclose()
    assert await shared.consume(key, Rule(10, 3)) == 0


# --- Redis unreachable: the breaker and the per-replica fallback ---------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_with_redis_on_a_closed_port_the_limiter_still_answers_and_limits() -> None:
    store = RedisBuckets.connect(f"redis://127.0.0.1:{_closed_port()}/0", timeout_s=0.05)
    limiter = RateLimiter(store, LocalBuckets(), open_for_s=5)
    try:
        with capture_logs() as logs:
            started = time.monotonic()
            answers = [await limiter.consume("ip|/sign-in/email", Rule(10, 3)) for _ in range(4)]
            elapsed = time.monotonic() - started
    finally:
        await store.close()
    assert answers[:3] == [0, 0, 0] and answers[3] > 0  # never fails open
    assert limiter.is_open
    assert elapsed < 1.0
    assert [entry["event"] for entry in logs].count(
        "rate-limit store unavailable: limiting per replica until it answers"
    ) == 1  # once per opening, not once per request


async def test_a_redis_that_never_answers_costs_one_short_timeout() -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)  # read the command, never answer
        await asyncio.sleep(10)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = RedisBuckets.connect(f"redis://127.0.0.1:{port}/0", timeout_s=0.05)
    limiter = RateLimiter(store, LocalBuckets(), open_for_s=5)
    try:
        started = time.monotonic()
        first = await limiter.consume("k", GLOBAL)
        first_s = time.monotonic() - started
        started = time.monotonic()
        second = await limiter.consume("k", GLOBAL)
        second_s = time.monotonic() - started
    finally:
        await store.close()
        server.close()
    assert (first, second) == (0, 0)
    assert first_s < 0.5  # one timeout of ~50 ms, no retries
    assert second_s < 0.01  # the breaker is open: Redis is not asked again


class FlakyStore:
    def __init__(self) -> None:
        self.calls = 0
        self.failing = True
        self.gate: asyncio.Event | None = None

    async def consume(self, key: str, rule: Rule) -> int:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failing:
            raise ConnectionError("down")
        return 0


async def test_the_breaker_probes_once_when_its_time_is_up_and_closes_on_success() -> None:
    clock = FakeClock()
    store = FlakyStore()
    limiter = RateLimiter(store, LocalBuckets(), open_for_s=5, clock=clock)
    with capture_logs() as logs:
        assert await limiter.consume("a", GLOBAL) == 0
        assert limiter.is_open and store.calls == 1
        clock.now += 4
        await limiter.consume("a", GLOBAL)
        assert store.calls == 1  # still open: local only
        clock.now += 2
        await limiter.consume("a", GLOBAL)  # the probe fails: open again, silently
        assert store.calls == 2 and limiter.is_open
        clock.now += 6
        store.failing = False
        store.gate = asyncio.Event()
        probe = asyncio.create_task(limiter.consume("a", GLOBAL))
        await asyncio.sleep(0)
        # While the one probe is in flight, everyone else decides locally.
        assert await limiter.consume("b", GLOBAL) == 0
        assert store.calls == 3
        store.gate.set()
        assert await probe == 0
        assert not limiter.is_open
        await limiter.consume("c", GLOBAL)
        assert store.calls == 4
    events = [entry["event"] for entry in logs]
    assert events == [
        "rate-limit store unavailable: limiting per replica until it answers",
        "rate-limit store answers again: limits are shared across replicas",
    ]


def _redis_up() -> float | None:
    return REGISTRY.get_sample_value("authmesh_backend_up", {"backend": "redis"})


async def test_the_redis_gauge_follows_the_breaker() -> None:
    clock = FakeClock()
    store = FlakyStore()
    store.failing = False
    limiter = RateLimiter(store, LocalBuckets(), open_for_s=5, clock=clock)
    await limiter.consume("a", GLOBAL)
    assert _redis_up() == 1
    store.failing = True
    clock.now += 1
    await limiter.consume("a", GLOBAL)
    assert limiter.is_open and _redis_up() == 0
    clock.now += 6
    store.failing = False
    await limiter.consume("a", GLOBAL)  # the probe succeeds: the breaker closes
    assert not limiter.is_open and _redis_up() == 1


async def test_without_a_store_the_limiter_is_local() -> None:
    limiter = RateLimiter(None, LocalBuckets())
    assert [await limiter.consume("k", Rule(10, 1)) > 0 for _ in range(2)] == [False, True]


async def test_concurrent_checks_share_one_round_trip_and_keep_their_own_rules(
    shared: RedisBuckets,
) -> None:
    scripts: list[int] = []
    send = shared._send

    async def counting(batch: list[tuple[str, Rule, "asyncio.Future[int]"]]) -> None:
        scripts.append(len(batch))
        await send(batch)

    shared._send = counting  # type: ignore[method-assign]
    first, second = _key(), _key()
    answers = await asyncio.gather(
        *(shared.consume(first, Rule(10, 3)) for _ in range(4)),
        *(shared.consume(second, Rule(60, 1)) for _ in range(2)),
    )
    assert scripts == [6]
    assert answers[:3] == [0, 0, 0] and answers[3] > 0
    assert answers[4] == 0 and 10_000 < answers[5] <= 60_000


async def test_closing_fails_the_checks_still_waiting() -> None:
    buckets = RedisBuckets.connect(REDIS_URL, timeout_s=1.0)
    waiting = asyncio.ensure_future(buckets.consume(_key(), GLOBAL))
    await asyncio.sleep(0)  # queued; the batch goes out on the next loop iteration
    await buckets.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
