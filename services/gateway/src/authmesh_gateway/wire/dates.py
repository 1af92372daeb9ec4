"""JavaScript `Date` strings as Better-Auth writes them.

Every date in a JSON body is `Date.prototype.toISOString()` (api.md §1), and the `session_data`
cookie signature covers that exact text (§11.2); a cookie's `Expires` attribute is
`Date.prototype.toUTCString()`.
"""

from datetime import UTC, datetime
from email.utils import format_datetime


def _utc(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        # A naive datetime has no instant: guessing a zone would shift every date on the wire.
        raise ValueError("an aware datetime is required")
    return moment.astimezone(UTC)


def iso_date(moment: datetime) -> str:
    """`toISOString()`: `YYYY-MM-DDTHH:mm:ss.sssZ` in UTC.

    A JS `Date` holds whole milliseconds; microseconds are truncated, as `new Date(ms)` does
    with a fractional time value.
    """
    utc = _utc(moment)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def utc_string(moment: datetime) -> str:
    """`toUTCString()`: `Wed, 26 Nov 2025 22:24:45 GMT`, English names whatever the locale."""
    return format_datetime(_utc(moment), usegmt=True)
