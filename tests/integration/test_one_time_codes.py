"""The short-code store (identity domain/one_time_codes.py) against the real identity schema:
consumed exactly once, every concurrent wrong guess counted, a new code keeps the failure
count, codes bound to purpose and identifier."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from authmesh_identity.domain.code_issuing import issue_code
from authmesh_identity.domain.one_time_codes import (
    CodeOutcome,
    CodePolicy,
    CodePurpose,
    code_hash,
)
from authmesh_identity.store.tables import outbox
from authmesh_identity.store.uow import PostgresUnitOfWork
from authmesh_kit.db.engine import create_engine
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.stack.supervisor import Stack
from tests.conftest import unique_email

POLICY = CodePolicy(attempts_per_code=3, failures_before_lockout=10)
PURPOSE = CodePurpose.EMAIL_SIGN_IN


@pytest.fixture
async def uow(stack: Stack) -> AsyncIterator[PostgresUnitOfWork]:
    # 25 connections race 50 guesses: enough to interleave them, and within a stock
    # Postgres's 100 connections beside the stack's own pools.
    engine = create_engine(stack.database_url("identity"), "identity", pool_size=25, max_overflow=0)
    yield PostgresUnitOfWork(engine, Outbox(outbox, "unused"))
    await engine.dispose()


async def _issue(uow: PostgresUnitOfWork, identifier: str, policy: CodePolicy = POLICY) -> str:
    async with uow.begin() as tx:
        code, _ = await issue_code(tx, PURPOSE, identifier, policy, None)
    return code


async def _use(
    uow: PostgresUnitOfWork,
    identifier: str,
    code: str,
    *,
    purpose: CodePurpose = PURPOSE,
    policy: CodePolicy = POLICY,
    consume: bool = True,
) -> CodeOutcome:
    async with uow.begin() as tx:
        check = await tx.use_code(
            purpose.value, identifier, code_hash(purpose, identifier, code), policy, consume=consume
        )
    return check.outcome


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_of_many_concurrent_uses_exactly_one_consumes_the_code(
    uow: PostgresUnitOfWork,
) -> None:
    email = unique_email()
    code = await _issue(uow, email)
    outcomes = await asyncio.gather(*(_use(uow, email, code) for _ in range(20)))
    assert outcomes.count(CodeOutcome.VALID) == 1
    assert set(outcomes) == {CodeOutcome.VALID, CodeOutcome.NOT_FOUND}


async def test_checking_without_consuming_leaves_the_code_usable(uow: PostgresUnitOfWork) -> None:
    email = unique_email()
    code = await _issue(uow, email)
    assert await _use(uow, email, code, consume=False) is CodeOutcome.VALID
    assert await _use(uow, email, code) is CodeOutcome.VALID
    assert await _use(uow, email, code) is CodeOutcome.NOT_FOUND


async def test_the_code_dies_after_its_allowed_wrong_guesses(uow: PostgresUnitOfWork) -> None:
    email = unique_email()
    code = await _issue(uow, email)
    for _ in range(3):
        assert await _use(uow, email, _wrong(code)) is CodeOutcome.INVALID
    assert await _use(uow, email, _wrong(code)) is CodeOutcome.TOO_MANY_ATTEMPTS
    assert await _use(uow, email, code) is CodeOutcome.TOO_MANY_ATTEMPTS


async def test_every_concurrent_wrong_guess_is_counted(uow: PostgresUnitOfWork) -> None:
    """50 concurrent wrong guesses count as 50: the threshold of 50 locks even the right code."""
    policy = CodePolicy(attempts_per_code=1000, failures_before_lockout=50)
    email = unique_email()
    code = await _issue(uow, email, policy)
    outcomes = await asyncio.gather(
        *(_use(uow, email, _wrong(code), policy=policy) for _ in range(50))
    )
    assert outcomes.count(CodeOutcome.INVALID) == 49
    assert await _use(uow, email, code, policy=policy) is CodeOutcome.TOO_MANY_ATTEMPTS


async def test_a_new_code_keeps_the_failure_count(uow: PostgresUnitOfWork) -> None:
    email = unique_email()
    await _fail_three_codes(uow, email, codes=3)  # 9 failures
    code = await _issue(uow, email)
    assert await _use(uow, email, _wrong(code)) is CodeOutcome.TOO_MANY_ATTEMPTS  # the 10th
    fresh = await _issue(uow, email)
    assert await _use(uow, email, fresh) is CodeOutcome.TOO_MANY_ATTEMPTS  # locked out


async def test_a_right_guess_resets_the_failure_count(uow: PostgresUnitOfWork) -> None:
    email = unique_email()
    await _fail_three_codes(uow, email, codes=2)  # 6 failures
    code = await _issue(uow, email)
    assert await _use(uow, email, code) is CodeOutcome.VALID
    await _fail_three_codes(uow, email, codes=3)  # 9 more, none past the threshold of 10


async def _fail_three_codes(uow: PostgresUnitOfWork, email: str, *, codes: int) -> None:
    for _ in range(codes):
        code = await _issue(uow, email)
        for _ in range(3):
            assert await _use(uow, email, _wrong(code)) is CodeOutcome.INVALID


async def test_a_code_is_bound_to_its_purpose_and_identifier(uow: PostgresUnitOfWork) -> None:
    email = unique_email()
    code = await _issue(uow, email)
    other = CodePurpose.EMAIL_PASSWORD_RESET
    assert await _use(uow, email, code, purpose=other) is CodeOutcome.NOT_FOUND
    assert await _use(uow, unique_email(), code) is CodeOutcome.NOT_FOUND
    assert await _use(uow, email, code) is CodeOutcome.VALID


async def test_an_expired_code_is_refused(uow: PostgresUnitOfWork) -> None:
    email = unique_email()
    code = await _issue(uow, email, CodePolicy(lifetime=timedelta(seconds=-1)))
    assert await _use(uow, email, code) is CodeOutcome.EXPIRED
