"""The account-flow use cases against an in-memory unit of work: which error each kind of bad
token gets, in Better-Auth's order, and what a flow writes in its transaction."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from authmesh_identity.domain.model import (
    AccountFlowPolicy,
    NewUser,
    OneTimeToken,
    TokenState,
    User,
)
from authmesh_identity.domain.one_time_tokens import TokenPurpose, new_token, token_hash
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.use_cases import password_reset
from authmesh_identity.domain.use_cases.email_verification import (
    send_verification_email,
    verify_email,
)
from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message

HASHER = PasswordHasher(memory_kib=8, time_cost=1, parallelism=1, threads=1)
POLICY = PasswordPolicy(8, 128)
FLOWS = AccountFlowPolicy(base_url="https://auth.example.com")
NOW = datetime.now(UTC)


class FakeTransaction:
    """The store's rules in memory; `writes` counts what a committed flow wrote."""

    def __init__(self, users: dict[str, User], tokens: dict[bytes, tuple[OneTimeToken, bool]]):
        self.users = users
        self.tokens = tokens
        self.passwords: dict[str, str] = {}
        self.events: list[Envelope] = []
        self.messages: list[Message] = []

    async def create_user_with_password(self, new_user: NewUser, password_hash: str) -> User:
        raise NotImplementedError

    async def get_user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    async def user_by_email(self, email: str) -> User | None:
        return next((u for u in self.users.values() if u.email == email), None)

    async def credential_hash(self, user_id: str) -> str | None:
        return self.passwords.get(user_id)

    async def insert_token(self, token: OneTimeToken) -> None:
        self.tokens[token.token_hash] = (token, False)

    async def consume_token(self, token_hash: bytes, purpose: str) -> TokenState | None:
        state = await self.token_state(token_hash, purpose)
        if state is None or state.consumed or state.expires_at <= datetime.now(UTC):
            return None
        self.tokens[token_hash] = (self.tokens[token_hash][0], True)
        return replace(state, consumed=True)

    async def token_state(self, token_hash: bytes, purpose: str) -> TokenState | None:
        found = self.tokens.get(token_hash)
        if found is None or found[0].purpose != purpose:
            return None
        token, consumed = found
        return TokenState(token.user_id, token.email, token.expires_at, consumed)

    async def invalidate_tokens(self, user_id: str, purpose: str) -> int:
        live = [
            key
            for key, (token, consumed) in self.tokens.items()
            if token.user_id == user_id and token.purpose == purpose and not consumed
        ]
        for key in live:
            self.tokens[key] = (self.tokens[key][0], True)
        return len(live)

    async def set_email_verified(self, user_id: str) -> User | None:
        self.users[user_id] = replace(self.users[user_id], email_verified=True)
        return self.users[user_id]

    async def set_password_hash(self, user_id: str, new_hash: str) -> None:
        self.passwords[user_id] = new_hash

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        raise NotImplementedError

    async def update_profile(
        self, user_id: str, *, name: str | None, image: str | None, clear_image: bool
    ) -> User | None:
        raise NotImplementedError

    async def add_events(self, *events: Envelope) -> None:
        self.events.extend(events)

    async def add_messages(self, *messages: Message) -> None:
        self.messages.extend(messages)


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.tokens: dict[bytes, tuple[OneTimeToken, bool]] = {}
        self.committed: list[FakeTransaction] = []

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[FakeTransaction]:
        # Copies in, copies out on success: an exception rolls everything back.
        tx = FakeTransaction(dict(self.users), dict(self.tokens))
        yield tx
        self.users, self.tokens = tx.users, tx.tokens
        self.committed.append(tx)

    def add_user(self, email: str = "ada@example.test", verified: bool = False) -> User:
        user = User("u1", "Ada", email, verified, None, NOW, NOW)
        self.users[user.id] = user
        return user

    def add_token(
        self,
        purpose: TokenPurpose,
        user: User,
        *,
        expires_in: timedelta = timedelta(hours=1),
        consumed: bool = False,
        email: str | None = None,
    ) -> str:
        token = new_token()
        hashed = token_hash(purpose, token)
        stored = OneTimeToken(hashed, purpose.value, user.id, email or user.email, NOW + expires_in)
        self.tokens[hashed] = (stored, consumed)
        return token


async def reason_of(work: object) -> str:
    with pytest.raises(DomainError) as raised:
        await work  # type: ignore[misc]  # a coroutine
    return raised.value.reason


async def test_verify_email_tells_expired_from_invalid() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()
    expired = uow.add_token(TokenPurpose.EMAIL_VERIFICATION, user, expires_in=-timedelta(seconds=1))
    used = uow.add_token(TokenPurpose.EMAIL_VERIFICATION, user, consumed=True)
    other_kind = uow.add_token(TokenPurpose.PASSWORD_RESET, user)
    moved = uow.add_token(TokenPurpose.EMAIL_VERIFICATION, user, email="old@example.test")
    assert await reason_of(verify_email(uow, token=expired, actor=None)) == "TOKEN_EXPIRED"
    for token in (used, other_kind, moved, "malformed", new_token()):
        assert await reason_of(verify_email(uow, token=token, actor=None)) == "INVALID_TOKEN"
    assert not uow.users["u1"].email_verified
    assert not uow.committed  # every failure rolled back


async def test_verify_email_verifies_once_and_spends_the_other_links() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()
    first = uow.add_token(TokenPurpose.EMAIL_VERIFICATION, user)
    second = uow.add_token(TokenPurpose.EMAIL_VERIFICATION, user)
    verified, newly = await verify_email(uow, token=first, actor=None)
    assert verified.email_verified and newly
    assert [e.type for e in uow.committed[-1].events] == [
        "auth.identity.email_verification.verified.v1"
    ]
    assert await reason_of(verify_email(uow, token=second, actor=None)) == "INVALID_TOKEN"


async def test_an_already_verified_address_is_success_without_a_new_verification() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user(verified=True)
    token = uow.add_token(TokenPurpose.EMAIL_VERIFICATION, user)
    _, newly = await verify_email(uow, token=token, actor=None)
    assert not newly and not uow.committed[-1].events


async def test_send_verification_email_is_silent_without_a_session() -> None:
    uow = FakeUnitOfWork()
    uow.add_user(email="verified@example.test", verified=True)
    for email in ("verified@example.test", "nobody@example.test", "not an email"):
        await send_verification_email(
            uow, FLOWS, email=email, callback_url=None, session_user_id="", actor=None
        )
    assert not any(tx.messages for tx in uow.committed)


async def test_send_verification_email_with_a_session_checks_the_address() -> None:
    uow = FakeUnitOfWork()
    uow.add_user()
    mismatch = send_verification_email(
        uow, FLOWS, email="eve@example.test", callback_url=None, session_user_id="u1", actor=None
    )
    assert await reason_of(mismatch) == "EMAIL_MISMATCH"
    await send_verification_email(
        uow, FLOWS, email="ADA@example.test", callback_url="/x", session_user_id="u1", actor=None
    )
    [message] = uow.committed[-1].messages
    assert message.to == "ada@example.test"
    assert message.fields["url"].startswith("https://auth.example.com/api/auth/verify-email?token=")


async def test_reset_password_checks_in_better_auths_order() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()
    live = uow.add_token(TokenPurpose.PASSWORD_RESET, user)

    def reset(token: str, password: str) -> object:
        return password_reset.reset_password(
            uow, HASHER, POLICY, token=token, new_password=password, actor=None
        )

    assert await reason_of(reset("", "short")) == "INVALID_TOKEN"  # no token at all: first
    assert await reason_of(reset("bogus", "short")) == "PASSWORD_TOO_SHORT"
    assert await reason_of(reset("bogus", "x" * 129)) == "PASSWORD_TOO_LONG"
    assert await reason_of(reset("bogus", "long enough")) == "INVALID_TOKEN"
    assert (
        await password_reset.reset_password(
            uow, HASHER, POLICY, token=live, new_password="long enough", actor=None
        )
        == "u1"
    )
    assert await reason_of(reset(live, "long enough")) == "INVALID_TOKEN"  # single use
    [done] = [tx for tx in uow.committed if tx.events]
    assert [e.type for e in done.events] == [
        "auth.identity.password_reset.completed.v1",
        "auth.identity.password.changed.v1",
    ]
    assert [m.type for m in done.messages] == ["password-changed"]


async def test_a_new_reset_link_spends_the_older_ones() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()
    older = uow.add_token(TokenPurpose.PASSWORD_RESET, user)
    await password_reset.request_password_reset(
        uow, FLOWS, email="ada@example.test", redirect_to=None, actor=None
    )
    [message] = uow.committed[-1].messages
    assert message.fields["url"].endswith("?callbackURL=")
    assert await reason_of(password_reset.check_reset_token(uow, token=older)) == "INVALID_TOKEN"
    await password_reset.check_reset_token(uow, token=message.fields["token"])
