"""The emailOTP and magicLink use cases against an in-memory unit of work: who gets a code or a
link, which error each failure gets, what a proof of an address does to the user, and the
settings and link shapes behind them."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from pydantic import ValidationError

from authmesh_identity.domain.errors import code_error, email_taken
from authmesh_identity.domain.links import form_urlencode, magic_link_url
from authmesh_identity.domain.model import (
    AccountFlowPolicy,
    NewUser,
    OneTimeToken,
    PasswordlessPolicy,
    TokenState,
    User,
)
from authmesh_identity.domain.one_time_codes import CodeCheck, CodeOutcome, CodePolicy
from authmesh_identity.domain.one_time_tokens import TokenPurpose, new_token, token_hash
from authmesh_identity.domain.passwords import AttemptCount, ThrottlePolicy
from authmesh_identity.domain.ports import AccountTransaction
from authmesh_identity.domain.use_cases import email_otp, magic_link
from authmesh_identity.domain.use_cases.email_proof import prove_email
from authmesh_identity.settings import IdentitySettings
from authmesh_kit.crypto.key_ring import new_key_ring_spec
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message

NOW = datetime.now(UTC)
FLOWS = AccountFlowPolicy(base_url="https://auth.example.com")
POLICY = PasswordlessPolicy()


@dataclass
class StoredCode:
    code_hash: bytes
    user_id: str | None
    expires_at: datetime
    consumed: bool = False
    attempts: int = 0


class FakeTransaction:
    """The store's rules for users, codes and link tokens, in memory."""

    def __init__(self, uow: "FakeUnitOfWork") -> None:
        self.users = dict(uow.users)
        self.codes = {key: replace(code) for key, code in uow.codes.items()}
        self.tokens = dict(uow.tokens)
        self.accounts = set(uow.accounts)
        self.race_sign_up: User | None = uow.race_sign_up
        self.events: list[Envelope] = []
        self.messages: list[Message] = []

    async def user_by_email(self, email: str) -> User | None:
        return next((u for u in self.users.values() if u.email == email), None)

    async def get_user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    async def create_user(self, new_user: NewUser) -> User:
        if self.race_sign_up is not None:  # another sign-up of the address committed first
            self.users[self.race_sign_up.id] = self.race_sign_up
            raise email_taken()
        user = User(
            new_user.id, new_user.name, new_user.email, new_user.email_verified, None, NOW, NOW
        )
        self.users[user.id] = user
        return user

    async def claim_unverified_user(self, user_id: str) -> User | None:
        user = self.users.get(user_id)
        if user is None or user.email_verified:
            return None
        self.accounts.discard(user_id)
        self.users[user_id] = replace(user, email_verified=True)
        return self.users[user_id]

    async def set_email_verified(self, user_id: str) -> User | None:
        self.users[user_id] = replace(self.users[user_id], email_verified=True)
        return self.users[user_id]

    async def invalidate_tokens(self, user_id: str, purpose: str) -> int:
        return 0

    async def put_code(
        self,
        purpose: str,
        identifier: str,
        code_hash: bytes,
        user_id: str | None,
        expires_at: datetime,
    ) -> None:
        self.codes[(purpose, identifier)] = StoredCode(code_hash, user_id, expires_at)

    async def use_code(
        self, purpose: str, identifier: str, code_hash: bytes, policy: CodePolicy, *, consume: bool
    ) -> CodeCheck:
        code = self.codes.get((purpose, identifier))
        if code is None or code.consumed:
            return CodeCheck(CodeOutcome.NOT_FOUND)
        if code.expires_at <= datetime.now(UTC):
            return CodeCheck(CodeOutcome.EXPIRED)
        if code.code_hash == code_hash and code.attempts < policy.attempts_per_code:
            code.consumed = consume
            return CodeCheck(CodeOutcome.VALID, code.user_id)
        if code.code_hash == code_hash:
            return CodeCheck(CodeOutcome.TOO_MANY_ATTEMPTS)
        code.attempts += 1
        exhausted = code.attempts > policy.attempts_per_code
        return CodeCheck(CodeOutcome.TOO_MANY_ATTEMPTS if exhausted else CodeOutcome.INVALID)

    async def insert_token(self, token: OneTimeToken) -> None:
        self.tokens[token.token_hash] = (token, False)

    async def consume_token(self, token_hash: bytes, purpose: str) -> TokenState | None:
        found = self.tokens.get(token_hash)
        if found is None or found[1] or found[0].purpose != purpose:
            return None
        token = found[0]
        self.tokens[token_hash] = (token, True)
        return TokenState(token.user_id, token.email, token.expires_at, True, token.new_user_name)

    async def add_events(self, *events: Envelope) -> None:
        self.events.extend(events)

    async def add_messages(self, *messages: Message) -> None:
        self.messages.extend(messages)


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.codes: dict[tuple[str, str], StoredCode] = {}
        self.tokens: dict[bytes, tuple[OneTimeToken, bool]] = {}
        self.accounts: set[str] = set()  # users with a credential account
        self.race_sign_up: User | None = None
        self.committed: list[FakeTransaction] = []

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AccountTransaction]:
        # Copies in, copies out on success: an exception rolls everything back.
        tx = FakeTransaction(self)
        # The fake has what these use cases call, not the whole port (mypy checks the real
        # store against all of it).
        yield cast(AccountTransaction, tx)
        self.users, self.codes, self.tokens, self.accounts = (
            tx.users,
            tx.codes,
            tx.tokens,
            tx.accounts,
        )
        self.committed.append(tx)

    async def count_password_attempt(
        self, key: bytes, ip: str, throttle: ThrottlePolicy
    ) -> AttemptCount:
        raise AssertionError("passwordless sign-in checks no password")

    async def clear_password_attempts(self, key: bytes, ip: str) -> None:
        raise AssertionError("passwordless sign-in checks no password")

    def add_user(self, email: str = "ada@example.test", verified: bool = True) -> User:
        user = User(f"u{len(self.users) + 1}", "Ada", email, verified, None, NOW, NOW)
        self.users[user.id] = user
        self.accounts.add(user.id)
        return user

    def messages(self) -> list[Message]:
        return [message for tx in self.committed for message in tx.messages]

    def event_types(self) -> list[str]:
        return [event.type for tx in self.committed for event in tx.events]


async def reason_of(work: object) -> str:
    with pytest.raises(DomainError) as raised:
        await work  # type: ignore[misc]  # a coroutine
    return raised.value.reason


async def mailed_code(uow: FakeUnitOfWork, email: str, otp_type: str) -> str:
    await email_otp.send_code(uow, POLICY, email=email, otp_type=otp_type, actor=None)
    return str(uow.messages()[-1].fields["otp"])


# --- links ---------------------------------------------------------------------------------


def test_magic_link_urls_are_written_as_url_search_params_write_them() -> None:
    assert form_urlencode("/a b?c=d&e~f*g-h._") == "%2Fa+b%3Fc%3Dd%26e%7Ef*g-h._"
    assert form_urlencode("é") == "%C3%A9"
    url = magic_link_url(
        "https://auth.example.com",
        "T" * 32,
        callback_url=None,
        new_user_callback_url="/new",
        error_callback_url=None,
    )
    assert url == (
        "https://auth.example.com/api/auth/magic-link/verify?token="
        + "T" * 32
        + "&callbackURL=%2F&newUserCallbackURL=%2Fnew"
    )


# --- email codes ---------------------------------------------------------------------------


def test_each_failed_code_gets_better_auths_error() -> None:
    answers = {
        outcome: (code_error(outcome).reason, code_error(outcome).kind)
        for outcome in CodeOutcome
        if outcome is not CodeOutcome.VALID
    }
    assert answers == {
        CodeOutcome.NOT_FOUND: ("INVALID_OTP", ErrorKind.INVALID_ARGUMENT),
        CodeOutcome.INVALID: ("INVALID_OTP", ErrorKind.INVALID_ARGUMENT),
        CodeOutcome.EXPIRED: ("OTP_EXPIRED", ErrorKind.INVALID_ARGUMENT),
        CodeOutcome.TOO_MANY_ATTEMPTS: ("TOO_MANY_ATTEMPTS", ErrorKind.PERMISSION_DENIED),
    }


async def test_codes_go_to_users_or_to_new_addresses_signing_in_only() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()
    for otp_type in ("email-verification", "forget-password"):
        await email_otp.send_code(
            uow, POLICY, email="nobody@example.test", otp_type=otp_type, actor=None
        )
    assert uow.messages() == []
    await email_otp.send_code(uow, POLICY, email="New@Example.test", otp_type="sign-in", actor=None)
    await email_otp.send_code(uow, POLICY, email=user.email, otp_type="forget-password", actor=None)
    sent = [(m.to, m.user_id, m.fields["otpType"]) for m in uow.messages()]
    assert sent == [("new@example.test", "", "sign-in"), (user.email, user.id, "forget-password")]
    assert uow.event_types() == ["auth.identity.email_code.requested.v1"] * 2

    closed = replace(POLICY, email_otp_sign_up=False)
    await email_otp.send_code(
        uow, closed, email="other@example.test", otp_type="sign-in", actor=None
    )
    assert len(uow.messages()) == 2
    for otp_type in ("change-email", "bogus"):
        reason = await reason_of(
            email_otp.send_code(uow, POLICY, email=user.email, otp_type=otp_type, actor=None)
        )
        assert reason == "INVALID_OTP_TYPE"


async def test_a_sign_in_code_creates_a_verified_user_unless_sign_up_is_off() -> None:
    uow = FakeUnitOfWork()
    code = await mailed_code(uow, "new@example.test", "sign-in")
    closed = replace(POLICY, email_otp_sign_up=False)
    refused = email_otp.sign_in(
        uow, closed, email="new@example.test", otp=code, name="Ada", image=None, actor=None
    )
    assert await reason_of(refused) == "INVALID_OTP"
    proof = await email_otp.sign_in(
        uow, POLICY, email="NEW@example.test", otp=code, name="Ada", image=None, actor=None
    )
    assert proof.created and proof.user.email_verified and proof.user.name == "Ada"
    assert "auth.identity.user.created.v1" in uow.event_types()


async def test_a_wrong_guess_is_committed_and_counted_before_the_error() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()
    code = await mailed_code(uow, user.email, "sign-in")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(3):
        guess = email_otp.sign_in(
            uow, POLICY, email=user.email, otp=wrong, name=None, image=None, actor=None
        )
        assert await reason_of(guess) == "INVALID_OTP"
    assert uow.event_types().count("auth.identity.email_code.failed.v1") == 3
    dead = email_otp.sign_in(
        uow, POLICY, email=user.email, otp=code, name=None, image=None, actor=None
    )
    assert await reason_of(dead) == "TOO_MANY_ATTEMPTS"


async def test_a_code_is_bound_to_its_type() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user(verified=False)
    code = await mailed_code(uow, user.email, "email-verification")
    check = email_otp.check_code(
        uow, POLICY, email=user.email, otp_type="sign-in", otp=code, actor=None
    )
    assert await reason_of(check) == "INVALID_OTP"
    await email_otp.check_code(
        uow, POLICY, email=user.email, otp_type="email-verification", otp=code, actor=None
    )
    verified = await email_otp.verify_email(uow, POLICY, email=user.email, otp=code, actor=None)
    assert verified.email_verified and user.id in uow.accounts  # the password stays


async def test_malformed_addresses_get_better_auths_answers() -> None:
    uow = FakeUnitOfWork()
    sign_in = email_otp.sign_in(
        uow, POLICY, email="not-an-email", otp="123456", name=None, image=None, actor=None
    )
    assert await reason_of(sign_in) == "INVALID_OTP"
    verify = email_otp.verify_email(uow, POLICY, email="not-an-email", otp="1", actor=None)
    assert await reason_of(verify) == "INVALID_EMAIL"


# --- proofs of an address ------------------------------------------------------------------


async def test_proving_an_unverified_address_strips_its_earlier_access() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user(verified=False)
    async with uow.begin() as tx:
        proof = await prove_email(
            tx, email=user.email, name=None, image=None, method="t", sign_up=True, actor=None
        )
    assert proof is not None and proof.unproven_access_revoked and not proof.created
    assert proof.user.email_verified and user.id not in uow.accounts
    changed = [e for e in uow.committed[-1].events if e.type.endswith("password.changed.v1")]
    assert len(changed) == 1
    async with uow.begin() as tx:
        again = await prove_email(
            tx, email=user.email, name=None, image=None, method="t", sign_up=True, actor=None
        )
    assert again is not None and not again.unproven_access_revoked


async def test_a_sign_up_that_raced_the_proof_is_the_user_proven() -> None:
    uow = FakeUnitOfWork()
    uow.race_sign_up = User("raced", "Bo", "bo@example.test", False, None, NOW, NOW)
    async with uow.begin() as tx:
        proof = await prove_email(
            tx, email="bo@example.test", name="X", image=None, method="t", sign_up=True, actor=None
        )
    assert proof is not None and proof.user.id == "raced" and not proof.created
    assert proof.unproven_access_revoked


# --- magic links ---------------------------------------------------------------------------


async def test_a_link_remembers_the_name_of_a_new_user_only() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()
    for email in ("new@example.test", user.email):
        await magic_link.send_magic_link(
            uow,
            FLOWS,
            POLICY,
            email=email,
            name="Asked",
            callback_url="/in",
            new_user_callback_url=None,
            error_callback_url=None,
            actor=None,
        )
    stored = sorted((t.email, t.user_id, t.new_user_name) for t, _ in uow.tokens.values())
    assert stored == [(user.email, user.id, None), ("new@example.test", None, "Asked")]
    [to_new, to_user] = uow.messages()
    assert to_new.fields["url"].startswith(f"{FLOWS.base_url}/api/auth/magic-link/verify?token=")
    proof = await magic_link.verify_magic_link(
        uow, POLICY, token=str(to_new.fields["token"]), actor=None
    )
    assert proof.created and proof.user.name == "Asked" and proof.user.email_verified
    proof = await magic_link.verify_magic_link(
        uow, POLICY, token=str(to_user.fields["token"]), actor=None
    )
    assert proof.user.id == user.id and proof.user.name == "Ada"


async def test_links_that_cannot_sign_in_get_their_errors() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()

    def link(email: str, user_id: str | None) -> str:
        token = new_token()
        hashed = token_hash(TokenPurpose.MAGIC_LINK, token)
        stored = OneTimeToken(hashed, "magic-link", user_id, email, NOW + timedelta(minutes=5))
        uow.tokens[hashed] = (stored, False)
        return token

    moved = link("old@example.test", user.id)
    new_address = link("new@example.test", None)
    closed = replace(POLICY, magic_link_sign_up=False)
    for token, policy, reason in [
        ("malformed", POLICY, "INVALID_TOKEN"),
        (new_token(), POLICY, "INVALID_TOKEN"),
        (moved, POLICY, "INVALID_TOKEN"),
        (new_address, closed, "NEW_USER_SIGNUP_DISABLED"),
    ]:
        verify = magic_link.verify_magic_link(uow, policy, token=token, actor=None)
        assert await reason_of(verify) == reason
    assert len(uow.users) == 1


# --- settings ------------------------------------------------------------------------------


@pytest.fixture
def required(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AUTHMESH_IDENTITY_DATABASE_URL": "postgresql://identity@localhost/authmesh",
        "AUTHMESH_SERVICE_KEY": "key",
        "AUTHMESH_SERVICE_PUBLIC_KEYS": "",
        "AUTHMESH_ENCRYPTION_KEYS": new_key_ring_spec(),
        "AUTHMESH_BASE_URL": "https://auth.example.com",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("required")
def test_passwordless_defaults_are_better_auths_and_configurable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert IdentitySettings().passwordless_policy() == PasswordlessPolicy()
    monkeypatch.setenv("AUTHMESH_EMAIL_OTP_LENGTH", "8")
    monkeypatch.setenv("AUTHMESH_EMAIL_OTP_EXPIRES_IN_S", "600")
    monkeypatch.setenv("AUTHMESH_EMAIL_OTP_ALLOWED_ATTEMPTS", "5")
    monkeypatch.setenv("AUTHMESH_EMAIL_OTP_DISABLE_SIGN_UP", "true")
    monkeypatch.setenv("AUTHMESH_MAGIC_LINK_EXPIRES_IN_S", "900")
    monkeypatch.setenv("AUTHMESH_MAGIC_LINK_DISABLE_SIGN_UP", "true")
    policy = IdentitySettings().passwordless_policy()
    assert policy.email_otp == CodePolicy(
        length=8, lifetime=timedelta(minutes=10), attempts_per_code=5
    )
    assert not policy.email_otp_sign_up and not policy.magic_link_sign_up
    assert policy.magic_link_expires_in == timedelta(minutes=15)


@pytest.mark.usefixtures("required")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AUTHMESH_EMAIL_OTP_LENGTH", "5"),  # ASVS 6.5.4: at least 20 bits
        ("AUTHMESH_EMAIL_OTP_EXPIRES_IN_S", "601"),  # ASVS 6.5.5: at most 10 minutes
        ("AUTHMESH_EMAIL_OTP_ALLOWED_ATTEMPTS", "0"),
        ("AUTHMESH_MAGIC_LINK_EXPIRES_IN_S", "3601"),
    ],
)
def test_unsafe_passwordless_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        IdentitySettings()
