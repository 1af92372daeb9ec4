"""Deleting a user (api.md §9.1 delete-user and its callback).

A signed-in user proves it is them, in Better-Auth's order: the password when given (checked
on the one password-check path, change_password.check_password), then a delete-account token
when given (mailed before, consumed in the deleting transaction); without either, a fresh
session suffices. Otherwise identity mails a delete-account link and deletes nothing: the
link's callback comes back here with its token.

Deleting removes the user row; accounts, tokens and codes cascade. The caller then revokes the
user's sessions, and user.deleted guarantees it (DESIGN §2): the session service, and later
mfa and org, purge what they keep of the user.
"""

from datetime import timedelta

from authmesh_identity.domain import events, messages
from authmesh_identity.domain.errors import (
    credential_account_not_found,
    invalid_token,
    user_not_found,
)
from authmesh_identity.domain.links import delete_account_url
from authmesh_identity.domain.model import AccountFlowPolicy
from authmesh_identity.domain.one_time_tokens import TokenPurpose, is_well_formed, token_hash
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import AccountTransaction, UnitOfWork
from authmesh_identity.domain.token_issuing import issue_token
from authmesh_identity.domain.use_cases.change_password import check_password
from authmesh_kit.events.envelope import Actor

PURPOSE = TokenPurpose.DELETE_ACCOUNT
# Better-Auth's default is a day; the NOTIFY stream keeps a message an hour at most anyway.
CONFIRMATION_LIFETIME = timedelta(hours=1)


async def delete_user(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    password_policy: PasswordPolicy,
    policy: AccountFlowPolicy,
    *,
    user_id: str,
    password: str | None,
    token: str | None,
    session_fresh: bool,
    callback_url: str | None,
    actor: Actor | None,
) -> bool:
    """True when the user is gone; False when a delete-account link was mailed instead."""
    if password:
        password_policy.check_max(password)  # PASSWORD_TOO_LONG before any lookup
        async with uow.begin() as tx:
            has_credential = await tx.credential_hash(user_id) is not None
        if not has_credential:
            raise credential_account_not_found()
        await check_password(uow, hasher, password_policy, user_id=user_id, password=password)
    if token:
        await _delete_with_token(uow, user_id=user_id, token=token, actor=actor)
        return True
    if password or session_fresh:
        async with uow.begin() as tx:
            await delete_in(tx, user_id, "password" if password else "fresh-session", actor)
        return True
    await _mail_confirmation(uow, policy, user_id=user_id, callback_url=callback_url, actor=actor)
    return False


async def _delete_with_token(
    uow: UnitOfWork, *, user_id: str, token: str, actor: Actor | None
) -> None:
    """INVALID_TOKEN unless `token` is a live delete-account token of this very user; of any
    number of concurrent uses, one deletes."""
    if not is_well_formed(token):
        raise invalid_token()
    async with uow.begin() as tx:
        consumed = await tx.consume_token(token_hash(PURPOSE, token), PURPOSE.value)
        # Another user's token rolls back unconsumed: it stays theirs to use.
        if consumed is None or consumed.user_id != user_id:
            raise invalid_token()
        await delete_in(tx, user_id, "token", actor)


async def delete_in(tx: AccountTransaction, user_id: str, method: str, actor: Actor | None) -> None:
    """The deletion itself, in the caller's transaction: the user (accounts, tokens and codes
    cascade) and user.deleted; USER_NOT_FOUND when it was gone. Also an admin's remove-user."""
    if not await tx.delete_user(user_id):
        raise user_not_found()
    await tx.add_events(events.user_deleted(user_id, method, actor))


async def _mail_confirmation(
    uow: UnitOfWork,
    policy: AccountFlowPolicy,
    *,
    user_id: str,
    callback_url: str | None,
    actor: Actor | None,
) -> None:
    """A new link to the user's address; it spends the older ones."""
    async with uow.begin() as tx:
        user = await tx.get_user(user_id)
        if user is None:
            raise user_not_found()
        await tx.invalidate_tokens(user.id, PURPOSE.value)
        token, expires_at = await issue_token(tx, PURPOSE, user, CONFIRMATION_LIFETIME)
        url = delete_account_url(policy.base_url, token, callback_url)
        await tx.add_messages(
            messages.delete_account(
                to=user.email, user_id=user.id, token=token, url=url, expires_at=expires_at
            )
        )
        await tx.add_events(events.user_deletion_requested(user.id, expires_at, actor))
