"""Users as an admin manages them (api.md §9.9): get, create, update, set role, set password,
remove. Each checks the acting admin's permission first (domain/admin_permissions.py), then
goes in Better-Auth 1.7.25's order, so that the same mistake gets the same answer.

Deliberate differences from Better-Auth: a password an admin sets passes the whole password
policy (length, blocklist), where Better-Auth checks only the length (create-user: only the
maximum); role names must exist; `data` fields are typed.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from authmesh_identity.domain import events, messages
from authmesh_identity.domain.admin_permissions import (
    DEFAULT_ROLE,
    DELETE_USERS,
    GET_USER,
    SET_PASSWORD,
    SET_ROLE,
    AdminPolicy,
    admin_error,
    role_string,
)
from authmesh_identity.domain.admin_user_changes import creation_changes, update_changes
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import email_taken, user_not_found
from authmesh_identity.domain.model import AccountFlowPolicy, NewUser, User
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.phone_numbers import is_placeholder_email
from authmesh_identity.domain.ports import UnitOfWork
from authmesh_identity.domain.use_cases.delete_user import delete_in
from authmesh_kit.events.envelope import Actor
from authmesh_kit.ids import new_id

# Set on the new user's row after the insert; NewUser carries the rest.
_AFTER_INSERT = ("banned", "ban_reason", "ban_expires")


async def get_user(
    uow: UnitOfWork, policy: AdminPolicy, *, admin_user_id: str, user_id: str
) -> User:
    async with uow.begin() as tx:
        GET_USER.check(await tx.get_user(admin_user_id), policy)
        user = await tx.get_user(user_id)
    if user is None:
        raise user_not_found()
    return user


async def create_user(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    password_policy: PasswordPolicy,
    policy: AdminPolicy,
    *,
    admin_user_id: str,
    email: str,
    password: str | None,
    name: str,
    roles: list[Any] | None,
    data: Mapping[str, Any],
    actor: Actor | None,
) -> User:
    """EMAIL_TAKEN when the address has a user. No verification mail: the admin vouches, or
    sets `emailVerified`."""
    async with uow.begin() as tx:
        admin = await tx.get_user(admin_user_id)
    changes = creation_changes(admin, data, roles, policy).values
    normalized = normalize_email(email)
    if password:  # Better-Auth: an empty password is none, and makes no credential account
        password_policy.check(password)
    async with uow.begin() as tx:
        taken = await tx.user_by_email(normalized) is not None
    if taken:  # a cheap check spares the hash; the unique index decides races
        raise email_taken()
    password_hash = await hasher.hash(password) if password else None
    new_user = NewUser(
        id=new_id(),
        name=name,
        email=normalized,
        image=changes.get("image"),
        role=changes.get("role", DEFAULT_ROLE),
        email_verified=changes.get("email_verified", False),
        username=changes.get("username"),
        display_username=changes.get("display_username"),
    )
    async with uow.begin() as tx:
        user = await tx.create_user(new_user)
        ban = {column: changes[column] for column in _AFTER_INSERT if column in changes}
        if ban:
            user = await tx.update_user_fields(user.id, ban) or user
        if password_hash is not None:
            await tx.set_password_hash(user.id, password_hash)
        await tx.add_events(events.user_created(user.id, normalized, "admin", actor))
        if user.banned:
            await tx.add_events(
                events.user_banned(user.id, user.ban_reason or "", user.ban_expires, actor)
            )
    return user


async def update_user(
    uow: UnitOfWork,
    policy: AdminPolicy,
    *,
    admin_user_id: str,
    user_id: str,
    data: Mapping[str, Any],
    actor: Actor | None,
) -> User:
    """A `banned: true` publishes user.banned: the caller then revokes the user's sessions."""
    async with uow.begin() as tx:
        admin = await tx.get_user(admin_user_id)
        changes = update_changes(admin, user_id, data, policy)
        email = changes.values.get("email")
        if email is not None:
            owner = await tx.user_by_email(email)
            if owner is not None and owner.id != user_id:
                raise email_taken()
        user = await tx.update_user_fields(user_id, changes.values)
        if user is None:
            raise user_not_found()
        if changes.values:
            await tx.add_events(events.user_updated(user.id, sorted(changes.values), actor))
        if changes.bans:
            await tx.add_events(
                events.user_banned(user.id, user.ban_reason or "", user.ban_expires, actor)
            )
        elif changes.unbans:
            await tx.add_events(events.user_unbanned(user.id, "admin", actor))
    return user


async def set_role(
    uow: UnitOfWork,
    policy: AdminPolicy,
    *,
    admin_user_id: str,
    user_id: str,
    roles: list[Any],
    actor: Actor | None,
) -> User:
    async with uow.begin() as tx:
        SET_ROLE.check(await tx.get_user(admin_user_id), policy)
        role = role_string(roles)
        user = await tx.update_user_fields(user_id, {"role": role})
        if user is None:
            raise user_not_found()
        await tx.add_events(events.user_updated(user.id, ["role"], actor))
    return user


async def set_user_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    password_policy: PasswordPolicy,
    policy: AdminPolicy,
    flows: AccountFlowPolicy,
    *,
    admin_user_id: str,
    user_id: str,
    new_password: str,
    actor: Actor | None,
) -> None:
    """Like a password reset by the user, less the session revocation Better-Auth does not do
    here: reset secrets spent, the failure count cleared, the address on file told."""
    async with uow.begin() as tx:
        SET_PASSWORD.check(await tx.get_user(admin_user_id), policy)
    password_policy.check(new_password)
    async with uow.begin() as tx:
        exists = await tx.get_user(user_id) is not None
    if not exists:
        raise user_not_found()
    new_hash = await hasher.hash(new_password)
    async with uow.begin() as tx:
        user = await tx.get_user(user_id)
        if user is None:
            raise user_not_found()
        await tx.set_password_hash(user.id, new_hash)
        await tx.invalidate_password_resets(user)
        await tx.add_events(events.password_changed(user.id, "admin", False, actor))
        if not is_placeholder_email(user.email, flows.phone_sign_up_email_domain):
            await tx.add_messages(
                messages.password_changed(to=user.email, user_id=user.id, now=datetime.now(UTC))
            )


async def remove_user(
    uow: UnitOfWork, policy: AdminPolicy, *, admin_user_id: str, user_id: str, actor: Actor | None
) -> None:
    """delete-user's deletion (user.deleted); the caller then revokes the user's sessions."""
    async with uow.begin() as tx:
        DELETE_USERS.check(await tx.get_user(admin_user_id), policy)
        if user_id == admin_user_id:
            raise admin_error("YOU_CANNOT_REMOVE_YOURSELF", "You cannot remove yourself")
        await delete_in(tx, user_id, "admin", actor)
