"""The answer-time floor of the endpoints that must not tell which addresses are registered
(security/timing.py)."""

import time

import pytest

from authmesh_gateway.security.timing import answer_no_sooner_than


async def test_the_floor_holds_answers_and_errors_alike() -> None:
    started = time.monotonic()
    async with answer_no_sooner_than(0.05):
        pass
    assert time.monotonic() - started >= 0.05
    started = time.monotonic()
    with pytest.raises(LookupError):
        async with answer_no_sooner_than(0.05):
            raise LookupError
    assert time.monotonic() - started >= 0.05
