"""A signed-in user's password: changing it and checking it (api.md §9.1, both S!).

A change invalidates every outstanding reset link of the user and tells the address on file.
Revoking sessions is the caller's (session.RevokeUserSessions), guaranteed by the
password.changed event when `revoke_other_sessions` is set.
"""

from datetime import UTC, datetime

from authmesh_identity.domain import events, messages
from authmesh_identity.domain.errors import (
    credential_account_not_found,
    invalid_password,
    user_not_found,
)
from authmesh_identity.domain.model import User
from authmesh_identity.domain.password_throttle import account_attempts_key, verify_throttled
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy, utf16_length
from authmesh_identity.domain.ports import UnitOfWork
from authmesh_kit.events.envelope import Actor


async def change_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    password_policy: PasswordPolicy,
    *,
    user_id: str,
    current_password: str,
    new_password: str,
    revoke_other_sessions: bool,
    actor: Actor | None,
) -> User:
    password_policy.check(new_password)
    password_policy.check_max(current_password)
    async with uow.begin() as tx:
        user = await tx.get_user(user_id)
        old_hash = await tx.credential_hash(user_id)
    if user is None:
        raise user_not_found()
    if old_hash is None:
        raise credential_account_not_found()
    # Hashing before verifying, as Better-Auth does: both answers take the same time.
    new_hash = await hasher.hash(new_password)
    if not await verify_throttled(
        uow,
        hasher,
        password_policy.throttle,
        key=account_attempts_key(user_id=user_id),
        ip="",  # within a session: one pair per account
        password_hash=old_hash,
        password=current_password,
    ):
        raise invalid_password()
    async with uow.begin() as tx:
        if not await tx.replace_password_hash(user_id, old_hash, new_hash):
            raise invalid_password()  # changed meanwhile: the current password is not current
        user = await tx.get_user(user_id)
        if user is None:
            raise user_not_found()
        await tx.invalidate_password_resets(user)
        await tx.add_events(
            events.password_changed(user_id, "change", revoke_other_sessions, actor)
        )
        await tx.add_messages(
            messages.password_changed(to=user.email, user_id=user_id, now=datetime.now(UTC))
        )
    return user


async def check_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    password_policy: PasswordPolicy,
    *,
    user_id: str,
    password: str,
) -> None:
    """INVALID_PASSWORD unless `password` is the user's; a user without a credential account
    costs the same time and fails the same way. Throttled like a sign-in, on the same count."""
    if utf16_length(password) > password_policy.max_length:
        raise invalid_password()  # never the password: no hashing of oversized input
    async with uow.begin() as tx:
        password_hash = await tx.credential_hash(user_id)
    if not await verify_throttled(
        uow,
        hasher,
        password_policy.throttle,
        key=account_attempts_key(user_id=user_id),
        ip="",  # within a session: one pair per account
        password_hash=password_hash,
        password=password,
    ):
        raise invalid_password()
