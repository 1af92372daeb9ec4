"""The password policy through the gateway (issue 3, scopes 3 and 4): the bundled blocklist on
every new password, and the throttling of password checks (progressive delays per account and
client address, an account-wide cap at NIST's 100) that treats an unknown address exactly like
a real one; then the throttle's counters against the real identity schema: atomic under
concurrency, and only a new password opens an account at the NIST limit."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from authmesh_identity.domain.model import NewUser
from authmesh_identity.domain.password_throttle import account_attempts_key, verify_throttled
from authmesh_identity.domain.passwords import AttemptCount, PasswordHasher, ThrottlePolicy
from authmesh_identity.store.tables import outbox
from authmesh_identity.store.uow import PostgresUnitOfWork
from authmesh_kit.db.engine import create_engine
from authmesh_kit.errors import DomainError
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.ids import new_id
from authmesh_kit.stack.supervisor import Stack
from tests.conftest import browser, forget_rate_limits, next_client_ip, unique_email
from tests.mailbox import Mailbox

AUTH = "/api/auth"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"
WRONG = "not the password"
COMPROMISED = {
    "message": "The password you entered has been compromised. Please choose a different password.",
    "code": "PASSWORD_COMPROMISED",
}
LOCKED = {
    "message": "Too many failed verification attempts. Your account is temporarily locked. "
    "Please try again later.",
    "code": "ACCOUNT_TEMPORARILY_LOCKED",
}
DELAY_AFTER = 5  # identity's default (AUTHMESH_PASSWORD_LOCK_AFTER): per account and address
FIRST_DELAY_S = 30
CAP = 100  # NIST's, account-wide
EXHAUSTED = "TOO_MANY_ATTEMPTS_RESET_PASSWORD"


async def sign_up(http: httpx.AsyncClient, email: str) -> None:
    response = await http.post(
        f"{AUTH}/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text


async def sign_in_from_a_new_ip(stack: Stack, email: str, password: str) -> httpx.Response:
    """Each from its own client IP, as a credential-stuffing botnet would: the per-IP rate
    limit never triggers, nor the delays per address, so what answers is the account's cap."""
    async with browser(stack) as http:
        return await http.post(f"{AUTH}/sign-in/email", json={"email": email, "password": password})


async def sign_in_from(stack: Stack, ip: str, email: str, password: str) -> httpx.Response:
    """From one client IP again and again: its rate-limit buckets are dropped first, so that
    what answers is the throttle per account and address."""
    await forget_rate_limits(stack, ip)
    async with browser(stack) as http:
        body = {"email": email, "password": password}
        return await http.post(f"{AUTH}/sign-in/email", json=body, headers={"X-Forwarded-For": ip})


async def reset_password(stack: Stack, mail: Mailbox, email: str, new_password: str) -> None:
    async with browser(stack) as http:
        requested = await http.post(f"{AUTH}/request-password-reset", json={"email": email})
        assert requested.status_code == 200, requested.text
        token = (await mail.next(email, "reset-password")).fields["token"]
        reset = await http.post(
            f"{AUTH}/reset-password", json={"newPassword": new_password, "token": token}
        )
        assert reset.status_code == 200, reset.text


def answer(response: httpx.Response) -> tuple[int, object]:
    return response.status_code, response.json()


# --- the blocklist ---------------------------------------------------------------------------


async def sign_up_from_a_new_ip(stack: Stack, password: str) -> httpx.Response:
    async with browser(stack) as http:  # sign-up allows 3 requests per 10 s from one IP
        return await http.post(
            f"{AUTH}/sign-up/email",
            json={"name": "Ada", "email": unique_email(), "password": password},
        )


async def test_a_listed_password_is_refused_on_sign_up_in_any_case(stack: Stack) -> None:
    for password in ("sunshine1", "Sunshine1", "SUNSHINE1"):
        assert answer(await sign_up_from_a_new_ip(stack, password)) == (400, COMPROMISED)
    # The length bounds come first, as Better-Auth checks them before hashing.
    short = await sign_up_from_a_new_ip(stack, "1234")
    assert short.json()["code"] == "PASSWORD_TOO_SHORT"


async def test_a_listed_password_is_refused_on_change_and_reset(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http:
        await sign_up(http, email)
        changed = await http.post(
            f"{AUTH}/change-password",
            json={"currentPassword": PASSWORD, "newPassword": "qwertyuiop"},
        )
        assert answer(changed) == (400, COMPROMISED)
        requested = await http.post(f"{AUTH}/request-password-reset", json={"email": email})
        assert requested.status_code == 200
        token = (await mail.next(email, "reset-password")).fields["token"]
        refused = await http.post(
            f"{AUTH}/reset-password", json={"newPassword": "iloveyou1", "token": token}
        )
        assert answer(refused) == (400, COMPROMISED)
        # The refusal consumed nothing: the same link still sets an acceptable password.
        reset = await http.post(
            f"{AUTH}/reset-password", json={"newPassword": NEW_PASSWORD, "token": token}
        )
        assert reset.status_code == 200, reset.text
    assert (await sign_in_from_a_new_ip(stack, email, NEW_PASSWORD)).status_code == 200


# --- per-account throttling ------------------------------------------------------------------


async def test_failures_from_one_address_delay_it_for_an_account_and_an_unknown_address_alike(
    stack: Stack,
) -> None:
    known, unknown = unique_email(), unique_email()
    async with browser(stack) as http:
        await sign_up(http, known)
    guesser = next_client_ip()
    for email in (known, unknown):
        for _ in range(DELAY_AFTER):
            wrong = await sign_in_from(stack, guesser, email, WRONG)
            assert wrong.json()["code"] == "INVALID_EMAIL_OR_PASSWORD"
    # Delayed now: even the right password is refused from that address, without being checked.
    delayed = [await sign_in_from(stack, guesser, email, PASSWORD) for email in (known, unknown)]
    for response in delayed:
        assert answer(response) == (429, LOCKED)
        assert 1 <= int(response.headers["x-retry-after"]) <= FIRST_DELAY_S
        assert "set-cookie" not in response.headers
    assert set(delayed[0].headers) == set(delayed[1].headers)
    # The owner, anywhere else, is not locked out.
    assert (await sign_in_from_a_new_ip(stack, known, PASSWORD)).status_code == 200


async def test_a_right_password_resets_the_count(stack: Stack) -> None:
    email = unique_email()
    async with browser(stack) as http:
        await sign_up(http, email)
    home = next_client_ip()
    for _ in range(DELAY_AFTER - 1):
        assert (await sign_in_from(stack, home, email, WRONG)).status_code == 401
    assert (await sign_in_from(stack, home, email, PASSWORD)).status_code == 200
    for _ in range(DELAY_AFTER - 1):
        assert (await sign_in_from(stack, home, email, WRONG)).status_code == 401
    assert (await sign_in_from(stack, home, email, PASSWORD)).status_code == 200


async def test_every_password_check_shares_the_cap_and_a_reset_lifts_it(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as signed_in:
        await sign_up(signed_in, email)
        for _ in range(CAP - 1):
            assert (await sign_in_from_a_new_ip(stack, email, WRONG)).status_code == 401
        # The hundredth failure, by verify-password, reaches the cap for sign-in too.
        wrong = await signed_in.post(f"{AUTH}/verify-password", json={"password": WRONG})
        assert wrong.json()["code"] == "INVALID_PASSWORD"
        verify = await signed_in.post(f"{AUTH}/verify-password", json={"password": PASSWORD})
        assert (verify.status_code, verify.json()["code"]) == (429, EXHAUSTED)
        change = await signed_in.post(
            f"{AUTH}/change-password",
            json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        )
        assert (change.status_code, change.json()["code"]) == (429, EXHAUSTED)
    capped = await sign_in_from_a_new_ip(stack, email, PASSWORD)
    assert (capped.status_code, capped.json()["code"]) == (429, EXHAUSTED)
    await reset_password(stack, mail, email, NEW_PASSWORD)
    assert (await sign_in_from_a_new_ip(stack, email, NEW_PASSWORD)).status_code == 200


# --- the counter on the real schema ----------------------------------------------------------


class CountingHasher(PasswordHasher):
    """Cheap parameters, and how many hashes it checked."""

    def __init__(self) -> None:
        super().__init__(memory_kib=8, time_cost=1, parallelism=1, threads=4)
        self.verified = 0

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.verified += 1
        return await super().verify(password_hash, password)


@pytest.fixture
async def uow(stack: Stack) -> AsyncIterator[PostgresUnitOfWork]:
    # 8 connections at once: the Postgres of a test session is shared by concurrent sessions.
    engine = create_engine(stack.database_url("identity"), "identity", pool_size=8, max_overflow=0)
    yield PostgresUnitOfWork(engine, Outbox(outbox, "unused"))
    await engine.dispose()


async def count(
    uow: PostgresUnitOfWork, key: bytes, throttle: ThrottlePolicy, ip: str = "192.0.2.1"
) -> AttemptCount:
    return await uow.count_password_attempt(key, ip, throttle)


def unknown_login_key() -> bytes:
    return account_attempts_key(user_id=None, login=f"email:{unique_email()}")


async def test_fifty_concurrent_attempts_count_as_fifty(uow: PostgresUnitOfWork) -> None:
    key = unknown_login_key()
    throttle = ThrottlePolicy(lock_after=100, disable_after=100)
    counts = await asyncio.gather(*(count(uow, key, throttle) for _ in range(50)))
    assert all(attempt.allowed for attempt in counts)
    assert sorted(attempt.failures for attempt in counts) == list(range(1, 51))


async def test_of_fifty_concurrent_attempts_none_passes_the_delay(uow: PostgresUnitOfWork) -> None:
    key = unknown_login_key()
    throttle = ThrottlePolicy(lock_after=10, lock_for=timedelta(minutes=15))
    counts = await asyncio.gather(*(count(uow, key, throttle) for _ in range(50)))
    allowed = [attempt for attempt in counts if attempt.allowed]
    assert sorted(attempt.failures for attempt in allowed) == list(range(1, 11))
    refused = [attempt for attempt in counts if not attempt.allowed]
    assert len(refused) == 40
    assert all(attempt.failures == 10 and attempt.locked_until for attempt in refused)
    # Another address is not delayed, and counts on from the account's 10.
    elsewhere = await count(uow, key, throttle, ip="198.51.100.7")
    assert elsewhere.allowed and elsewhere.failures == 11


async def test_at_the_limit_only_a_new_password_opens_the_account(
    uow: PostgresUnitOfWork,
) -> None:
    hasher = CountingHasher()
    user_id = new_id()
    async with uow.begin() as tx:
        await tx.create_user_with_password(
            NewUser(id=user_id, name="Ada", email=unique_email(), image=None),
            await hasher.hash(PASSWORD),
        )
        password_hash = await tx.credential_hash(user_id)
    key = account_attempts_key(user_id=user_id)
    # No lock period, so that the limit is reached at once; NIST's limit, scaled down to 3.
    throttle = ThrottlePolicy(lock_after=3, lock_for=timedelta(0), disable_after=3)

    async def check(password: str, stored: str | None = password_hash) -> bool:
        return await verify_throttled(
            uow, hasher, throttle, key=key, ip="", password_hash=stored, password=password
        )

    assert [await check(WRONG) for _ in range(3)] == [False, False, False]
    checked = hasher.verified
    with pytest.raises(DomainError) as refused:
        await check(PASSWORD)
    assert refused.value.reason == "TOO_MANY_ATTEMPTS_RESET_PASSWORD"
    assert hasher.verified == checked  # refused without looking at the password
    new_hash = await hasher.hash(NEW_PASSWORD)
    async with uow.begin() as tx:
        await tx.set_password_hash(user_id, new_hash)  # what every reset does
    assert await check(NEW_PASSWORD, new_hash)
    assert (await count(uow, key, throttle)).failures == 1  # the right password cleared it
