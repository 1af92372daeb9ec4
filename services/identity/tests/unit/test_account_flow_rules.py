"""The account-flow use cases against an in-memory unit of work: which error each kind of bad
token gets, in Better-Auth's order, and what a flow writes in its transaction."""

from collections.abc import AsyncIterator, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from authmesh_identity.domain.errors import email_taken
from authmesh_identity.domain.model import (
    AccountFlowPolicy,
    NewUser,
    OneTimeToken,
    ProfileUpdate,
    TokenState,
    User,
)
from authmesh_identity.domain.one_time_codes import CodeCheck, CodePolicy
from authmesh_identity.domain.one_time_tokens import TokenPurpose, new_token, token_hash
from authmesh_identity.domain.passwords import (
    AttemptCount,
    PasswordHasher,
    PasswordPolicy,
    ThrottlePolicy,
)
from authmesh_identity.domain.use_cases import change_email, delete_user, password_reset
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

    def __init__(
        self,
        users: dict[str, User],
        tokens: dict[bytes, tuple[OneTimeToken, bool]],
        passwords: dict[str, str],
    ):
        self.users = users
        self.tokens = tokens
        self.passwords = passwords
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

    async def invalidate_password_resets(self, user: User) -> int:
        return await self.invalidate_tokens(user.id, TokenPurpose.PASSWORD_RESET.value)

    async def invalidate_secrets(self, user_id: str, email: str) -> int:
        return sum([await self.invalidate_tokens(user_id, purpose) for purpose in TokenPurpose])

    async def change_email(self, user_id: str, email: str) -> User | None:
        if any(u.email == email and u.id != user_id for u in self.users.values()):
            raise email_taken()
        self.users[user_id] = replace(self.users[user_id], email=email, email_verified=True)
        return self.users[user_id]

    async def delete_user(self, user_id: str) -> bool:
        self.tokens = {k: v for k, v in self.tokens.items() if v[0].user_id != user_id}
        self.passwords.pop(user_id, None)
        return self.users.pop(user_id, None) is not None

    async def set_email_verified(self, user_id: str) -> User | None:
        self.users[user_id] = replace(self.users[user_id], email_verified=True)
        return self.users[user_id]

    async def set_password_hash(self, user_id: str, new_hash: str) -> None:
        self.passwords[user_id] = new_hash

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        raise NotImplementedError

    async def update_profile(self, user_id: str, update: ProfileUpdate) -> User | None:
        raise NotImplementedError

    async def update_user_fields(self, user_id: str, values: Mapping[str, Any]) -> User | None:
        if user_id not in self.users:
            return None
        self.users[user_id] = replace(self.users[user_id], **values)  # columns are field names
        return self.users[user_id]

    async def lift_lapsed_ban(self, user_id: str) -> User | None:
        user = self.users.get(user_id)
        if user is None or not user.banned or user.is_banned(datetime.now(UTC)):
            return None
        self.users[user_id] = replace(user, banned=False, ban_reason=None, ban_expires=None)
        return self.users[user_id]

    async def create_user(self, new_user: NewUser) -> User:
        raise NotImplementedError

    async def user_by_phone_number(self, phone_number: str) -> User | None:
        raise NotImplementedError

    async def set_phone_number_verified(self, user_id: str, phone_number: str) -> User | None:
        raise NotImplementedError

    async def unlock_password_attempts(self, key: bytes) -> int:
        raise NotImplementedError

    async def claim_unverified_user(self, user_id: str) -> User | None:
        raise NotImplementedError

    async def put_code(
        self,
        purpose: str,
        identifier: str,
        code_hash: bytes,
        user_id: str | None,
        expires_at: datetime,
    ) -> None:
        raise NotImplementedError

    async def use_code(
        self, purpose: str, identifier: str, code_hash: bytes, policy: CodePolicy, *, consume: bool
    ) -> CodeCheck:
        raise NotImplementedError

    async def set_two_factor_enabled(
        self, user_id: str, enabled: bool, changed_at: datetime
    ) -> bool:
        raise NotImplementedError

    async def add_events(self, *events: Envelope) -> None:
        self.events.extend(events)

    async def add_messages(self, *messages: Message) -> None:
        self.messages.extend(messages)


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.tokens: dict[bytes, tuple[OneTimeToken, bool]] = {}
        self.passwords: dict[str, str] = {}
        self.committed: list[FakeTransaction] = []

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[FakeTransaction]:
        # Copies in, copies out on success: an exception rolls everything back.
        tx = FakeTransaction(dict(self.users), dict(self.tokens), dict(self.passwords))
        yield tx
        self.users, self.tokens, self.passwords = tx.users, tx.tokens, tx.passwords
        self.committed.append(tx)

    async def count_password_attempt(
        self, key: bytes, ip: str, throttle: ThrottlePolicy
    ) -> AttemptCount:
        return AttemptCount(allowed=True, failures=1, locked_until=None)  # never locked here

    async def clear_password_attempts(self, key: bytes, ip: str) -> None:
        return None

    def add_user(
        self, email: str = "ada@example.test", verified: bool = False, user_id: str = "u1"
    ) -> User:
        user = User(user_id, "Ada", email, verified, None, NOW, NOW)
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


# --- change-email, delete-user -------------------------------------------------------------


async def request_change(uow: FakeUnitOfWork, new_email: str) -> None:
    await change_email.request_email_change(
        uow, FLOWS, user_id="u1", new_email=new_email, callback_url="/moved", actor=None
    )


def verify_link(
    uow: FakeUnitOfWork, token: str, session_user_id: str = ""
) -> Coroutine[Any, Any, change_email.VerifiedLink]:
    return change_email.verify_email_link(
        uow, token=token, session_user_id=session_user_id, actor=None
    )


async def test_an_email_change_is_mailed_to_the_new_address_only() -> None:
    uow = FakeUnitOfWork()
    uow.add_user(verified=True)
    uow.add_user(email="taken@example.test", user_id="u2")
    await request_change(uow, "Grace@Example.test")
    [message] = uow.committed[-1].messages
    assert (message.type, message.to) == ("verify-email", "grace@example.test")
    token = message.fields["token"]
    assert message.fields["url"] == (
        f"https://auth.example.com/api/auth/verify-email?token={token}&callbackURL=%2Fmoved"
    )
    stored, _ = uow.tokens[token_hash(TokenPurpose.EMAIL_CHANGE, token)]
    assert (stored.purpose, stored.email) == ("email-change", "grace@example.test")
    assert [e.type for e in uow.committed[-1].events] == ["auth.identity.email_change.requested.v1"]
    # Another user's address: the same silence, and nothing written.
    await request_change(uow, "taken@example.test")
    assert not uow.committed[-1].messages and not uow.committed[-1].events
    assert await reason_of(request_change(uow, "ADA@example.test")) == "EMAIL_UNCHANGED"
    assert uow.users["u1"].email == "ada@example.test"


async def test_confirming_a_change_moves_the_address_and_spends_the_old_addresses_links() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()
    reset = uow.add_token(TokenPurpose.PASSWORD_RESET, user)
    await request_change(uow, "older@example.test")
    older = uow.committed[-1].messages[0].fields["token"]
    await request_change(uow, "grace@example.test")
    token = uow.committed[-1].messages[0].fields["token"]
    assert await reason_of(verify_link(uow, older)) == "INVALID_TOKEN"  # the newer one won
    verified = await verify_link(uow, token, session_user_id="u1")
    assert verified.email_changed and not verified.newly_verified
    assert (verified.user.email, verified.user.email_verified) == ("grace@example.test", True)
    done = uow.committed[-1]
    assert [e.type for e in done.events] == ["auth.identity.email.changed.v1"]
    [notice] = done.messages
    assert (notice.type, notice.to) == ("email-changed", "ada@example.test")
    assert dict(notice.fields) == {"newEmail": "grace@example.test"}
    assert await reason_of(password_reset.check_reset_token(uow, token=reset)) == "INVALID_TOKEN"
    assert await reason_of(verify_link(uow, token)) == "INVALID_TOKEN"  # single use


async def test_a_change_link_fails_the_way_better_auth_says_and_stays_usable_when_it_should() -> (
    None
):
    uow = FakeUnitOfWork()
    user = uow.add_user()
    uow.add_user(email="eve@example.test", user_id="u2")
    expired = uow.add_token(
        TokenPurpose.EMAIL_CHANGE, user, email="x@example.test", expires_in=-timedelta(seconds=1)
    )
    assert await reason_of(verify_link(uow, expired)) == "TOKEN_EXPIRED"
    token = uow.add_token(TokenPurpose.EMAIL_CHANGE, user, email="grace@example.test")
    assert await reason_of(verify_link(uow, token, session_user_id="u2")) == "INVALID_USER"
    uow.add_user(email="grace@example.test", user_id="u3")  # taken since the request
    assert await reason_of(verify_link(uow, token)) == "EMAIL_TAKEN"
    del uow.users["u3"]
    verified = await verify_link(uow, token)
    assert verified.email_changed


async def test_verify_email_links_are_told_apart_by_purpose_only() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()
    reset = uow.add_token(TokenPurpose.PASSWORD_RESET, user)
    deletion = uow.add_token(TokenPurpose.DELETE_ACCOUNT, user)
    for token in (reset, deletion, "malformed"):
        assert await reason_of(verify_link(uow, token)) == "INVALID_TOKEN"
    change = uow.add_token(TokenPurpose.EMAIL_CHANGE, user, email="grace@example.test")
    assert await reason_of(password_reset.check_reset_token(uow, token=change)) == ("INVALID_TOKEN")
    verification = uow.add_token(TokenPurpose.EMAIL_VERIFICATION, user)
    verified = await verify_link(uow, verification)
    assert verified.newly_verified and not verified.email_changed


def delete(
    uow: FakeUnitOfWork,
    *,
    password: str | None = None,
    token: str | None = None,
    fresh: bool = False,
    user_id: str = "u1",
) -> Coroutine[Any, Any, bool]:
    return delete_user.delete_user(
        uow,
        HASHER,
        POLICY,
        FLOWS,
        user_id=user_id,
        password=password,
        token=token,
        session_fresh=fresh,
        callback_url="/bye",
        actor=None,
    )


async def test_delete_user_checks_the_password_in_better_auths_order() -> None:
    uow = FakeUnitOfWork()
    uow.add_user()
    assert await reason_of(delete(uow, password="x" * 129)) == "PASSWORD_TOO_LONG"
    assert await reason_of(delete(uow, password="anything", fresh=True)) == (
        "CREDENTIAL_ACCOUNT_NOT_FOUND"
    )
    uow.passwords["u1"] = await HASHER.hash("correct horse")
    assert await reason_of(delete(uow, password="wrong horse", fresh=True)) == ("INVALID_PASSWORD")
    assert "u1" in uow.users
    assert await delete(uow, password="correct horse") is True  # enough, fresh or not
    assert "u1" not in uow.users
    [deleted] = uow.committed[-1].events
    assert deleted.type == "auth.identity.user.deleted.v1"


async def test_without_a_proof_delete_user_mails_a_link_whose_token_deletes_once() -> None:
    uow = FakeUnitOfWork()
    user = uow.add_user()
    other = uow.add_user(email="eve@example.test", user_id="u2")
    assert await delete(uow) is False
    [message] = uow.committed[-1].messages
    token = message.fields["token"]
    assert (message.type, message.to) == ("delete-account", "ada@example.test")
    assert message.fields["url"] == (
        f"https://auth.example.com/api/auth/delete-user/callback?token={token}&callbackURL=%2Fbye"
    )
    assert [e.type for e in uow.committed[-1].events] == [
        "auth.identity.user_deletion.requested.v1"
    ]
    assert "u1" in uow.users
    # Another user's session cannot use it, and it stays usable for its own user.
    assert await reason_of(delete(uow, token=token, user_id=other.id)) == "INVALID_TOKEN"
    for bad in ("malformed", uow.add_token(TokenPurpose.PASSWORD_RESET, user)):
        assert await reason_of(delete(uow, token=bad)) == "INVALID_TOKEN"
    assert await delete(uow, token=token) is True
    assert "u1" not in uow.users and "u2" in uow.users


async def test_a_fresh_session_deletes_and_a_new_link_spends_the_older_one() -> None:
    uow = FakeUnitOfWork()
    uow.add_user()
    await delete(uow)
    older = uow.committed[-1].messages[0].fields["token"]
    await delete(uow)
    assert await reason_of(delete(uow, token=older)) == "INVALID_TOKEN"
    assert await delete(uow, fresh=True) is True
    assert "u1" not in uow.users
