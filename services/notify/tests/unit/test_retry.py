"""The retry schedule: growing delays, a bounded number of tries, never past the expiry."""

from datetime import UTC, datetime, timedelta

from authmesh_notify.domain.retry import DEFAULT_DELAYS_S, RetryPolicy

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def test_the_default_schedule() -> None:
    policy = RetryPolicy()
    assert DEFAULT_DELAYS_S == (5.0, 30.0, 120.0, 600.0, 1200.0)
    assert policy.max_tries == 6
    delays = [policy.next_delay(tries, now=NOW, expires_at=LATER) for tries in range(1, 7)]
    assert delays == [5.0, 30.0, 120.0, 600.0, 1200.0, None]


def test_a_retry_is_cut_short_to_happen_before_the_expiry() -> None:
    policy = RetryPolicy()
    expires = NOW + timedelta(seconds=100)
    assert policy.next_delay(3, now=NOW, expires_at=expires) == 99.0
    assert policy.next_delay(1, now=NOW, expires_at=expires) == 5.0


def test_no_retry_when_the_message_expires_first() -> None:
    policy = RetryPolicy()
    assert policy.next_delay(1, now=NOW, expires_at=NOW + timedelta(seconds=1)) is None
    assert policy.next_delay(1, now=NOW, expires_at=NOW) is None
    assert policy.next_delay(1, now=NOW, expires_at=NOW - timedelta(seconds=5)) is None


def test_a_custom_schedule() -> None:
    policy = RetryPolicy((1.0, 2.0))
    assert policy.max_tries == 3
    assert policy.next_delay(2, now=NOW, expires_at=LATER) == 2.0
    assert policy.next_delay(3, now=NOW, expires_at=LATER) is None
