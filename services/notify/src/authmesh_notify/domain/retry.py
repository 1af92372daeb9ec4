"""When to try a message again: a fixed schedule of growing delays, never past its expiry.

A message that failed for a reason that may pass (the server away) waits `delays[n - 1]` after
its n-th try; after the last delay's try, or when no try would happen before the message's
secret expires, it goes to the dead letters instead.
"""

from dataclasses import dataclass
from datetime import datetime

DEFAULT_DELAYS_S = (5.0, 30.0, 120.0, 600.0, 1200.0)
# A retry closer than this to the expiry would find the message expired: not worth waiting for.
MIN_USEFUL_S = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    delays_s: tuple[float, ...] = DEFAULT_DELAYS_S

    @property
    def max_tries(self) -> int:
        return len(self.delays_s) + 1

    def next_delay(self, tries: int, *, now: datetime, expires_at: datetime) -> float | None:
        """Seconds to wait after the `tries`-th failed try, or None when there is no next one.

        The delay is cut short so that the next try happens before the expiry.
        """
        if tries >= self.max_tries:
            return None
        left = (expires_at - now).total_seconds() - MIN_USEFUL_S
        if left <= 0:
            return None
        return min(self.delays_s[max(tries, 1) - 1], left)
