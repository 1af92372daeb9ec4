"""JavaScript Date strings."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from authmesh_gateway.wire.dates import iso_date, utc_string


def test_iso_date_is_to_iso_string() -> None:
    # Peer: "createdAt":"2026-11-26T22:24:45.078Z"
    assert iso_date(datetime(2026, 11, 26, 22, 24, 45, 78_000, tzinfo=UTC)) == (
        "2026-11-26T22:24:45.078Z"
    )
    assert iso_date(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000Z"


def test_iso_date_truncates_microseconds_and_converts_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert iso_date(datetime(2026, 1, 1, 0, 30, 0, 999_999, tzinfo=paris)) == (
        "2025-12-31T23:30:00.999Z"
    )


def test_iso_date_pads_small_years() -> None:
    assert iso_date(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000Z"


def test_utc_string() -> None:
    assert utc_string(datetime(2025, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC)) == (
        "Thu, 02 Jan 2025 03:04:05 GMT"
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        iso_date(datetime(2026, 1, 1))  # noqa: DTZ001 - the naive value under test
