"""A floor under the answer time of the endpoints that must not tell whether an address is
registered (OWASP ASVS 6.3.8): mailing a link writes a token and a sealed message, answering
for an unknown address writes nothing, and a stopwatch would see the difference.

Better-Auth holds anonymous `/send-verification-email` to at least 500 ms (its MINIMUM_MS);
Authmesh holds `/request-password-reset` to the same floor. Errors are held too, so that a
failure is no faster than a success.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

ENUMERATION_FLOOR_S = 0.5


@asynccontextmanager
async def answer_no_sooner_than(seconds: float = ENUMERATION_FLOOR_S) -> AsyncIterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        remaining = seconds - (time.monotonic() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)
