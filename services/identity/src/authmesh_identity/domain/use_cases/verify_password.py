"""Password verification: one uniform answer for an unknown account and a wrong password.

Every password sign-in goes through here, whatever names the account (api.md §9.1 email, §9.6
username, §9.7 phone number), so that all of them get the same checks.

When the operator requires verified addresses, a correct password for an unverified one is
EMAIL_NOT_VERIFIED, and a fresh verification link is mailed (Better-Auth's sendOnSignIn).
Phone-number sign-in skips that check, as Better-Auth's does: its accounts may have only a
placeholder address.

A right password ends in the check every sign-in passes (use_cases/assert_can_sign_in.py: not
banned), after the verification check as before, so the gateway's issue_session needs no
AssertCanSignIn call for it.

A matching password that is on the blocklist (set before the list held it: an imported hash, an
older policy) still signs in; the answer says so, for the risk service to weigh.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from authmesh_identity.domain import events
from authmesh_identity.domain.admin_permissions import AdminPolicy
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import email_not_verified, invalid_credentials
from authmesh_identity.domain.model import AccountFlowPolicy, User, UserWithPassword
from authmesh_identity.domain.password_blocklist import is_blocklisted
from authmesh_identity.domain.password_throttle import account_attempts_key, verify_throttled
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.phone_numbers import (
    check_phone_number,
    invalid_phone_number_or_password,
)
from authmesh_identity.domain.ports import UnitOfWork, UserStore
from authmesh_identity.domain.use_cases.assert_can_sign_in import check_can_sign_in
from authmesh_identity.domain.use_cases.email_verification import issue_verification
from authmesh_identity.domain.usernames import invalid_username_or_password, normalize_username
from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Actor


class LoginKind(StrEnum):
    EMAIL = "email"
    USERNAME = "username"
    PHONE_NUMBER = "phone-number"


@dataclass(frozen=True)
class PasswordSignIn:
    user: User
    password_blocklisted: bool


@dataclass(frozen=True)
class Login:
    """What a sign-in names its account by, as the client typed it."""

    kind: LoginKind
    name: str


_INVALID_CREDENTIALS: dict[LoginKind, Callable[[], DomainError]] = {
    LoginKind.EMAIL: invalid_credentials,
    LoginKind.USERNAME: invalid_username_or_password,
    LoginKind.PHONE_NUMBER: invalid_phone_number_or_password,
}


def account_key(login: Login, password: str) -> str:
    """The stored form of the login name, "" for one that cannot name an account. Refuses a
    malformed username or phone number as Better-Auth does, before any password check."""
    if login.kind is LoginKind.EMAIL:
        try:
            return normalize_email(login.name)
        except DomainError:
            return ""  # a malformed email is just one more unknown user
    if login.kind is LoginKind.USERNAME:
        if not login.name or not password:
            return ""  # Better-Auth answers these before it looks at the name's form
        return normalize_username(login.name)
    return check_phone_number(login.name)


async def _find(store: UserStore, kind: LoginKind, key: str) -> UserWithPassword | None:
    if kind is LoginKind.EMAIL:
        return await store.find_with_password(key)
    if kind is LoginKind.USERNAME:
        return await store.find_with_password_by_username(key)
    return await store.find_with_password_by_phone_number(key)


async def _check_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    login: Login,
    key: str,
    found: UserWithPassword | None,
    password: str,
    ip: str,
) -> bool:
    """Throttled per account and address (domain/password_throttle.py); a login that cannot name an
    account ("" key) has no account to protect and is only checked, in the same time."""
    password_hash = found.password_hash if found else None
    if not key:
        return await hasher.verify(password_hash, password)
    attempts_key = account_attempts_key(
        user_id=found.user.id if found else None, login=f"{login.kind.value}:{key}"
    )
    return await verify_throttled(
        uow,
        hasher,
        policy.throttle,
        key=attempts_key,
        ip=ip,
        password_hash=password_hash,
        password=password,
    )


async def verify_password(
    store: UserStore,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    flows: AccountFlowPolicy,
    admin: AdminPolicy,
    *,
    login: Login,
    password: str,
    callback_url: str | None,
    actor: Actor | None,
) -> PasswordSignIn:
    key = account_key(login, password)
    policy.check_max(password)
    found = await _find(store, login.kind, key) if key else None
    try:
        matched = await _check_password(
            uow, hasher, policy, login, key, found, password, actor.ip if actor else ""
        )
    except DomainError as refused:  # the account key is locked: refused unchecked
        await store.record(
            events.sign_in_failed(refused.reason, found.user.id if found else "", actor)
        )
        raise
    if found is None or not matched:
        error = _INVALID_CREDENTIALS[login.kind]()
        user_id = found.user.id if found else ""
        await store.record(events.sign_in_failed(error.reason, user_id, actor))
        raise error
    if hasher.needs_rehash(found.password_hash):
        new_hash = await hasher.hash(password)
        await store.replace_password_hash(found.user.id, found.password_hash, new_hash)
    user = found.user
    email_required = flows.require_email_verification and login.kind is not LoginKind.PHONE_NUMBER
    if email_required and not user.email_verified:
        async with uow.begin() as tx:
            await tx.add_events(events.sign_in_failed("EMAIL_NOT_VERIFIED", user.id, actor))
            if flows.send_verification_on_sign_in:
                await issue_verification(
                    tx, flows, user=user, callback_url=callback_url, reason="sign-in", actor=actor
                )
        raise email_not_verified()
    user = await check_can_sign_in(uow, admin, user)
    return PasswordSignIn(user, is_blocklisted(policy.blocklist, password))
