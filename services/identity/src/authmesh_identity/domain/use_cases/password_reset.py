"""Password reset by emailed link (api.md §9.1): request, check, complete.

Every new link, and every completed reset, invalidates the user's other outstanding links
(issue 3, scope 2). The caller revokes the user's sessions after a reset; the
password.changed event guarantees it even when that call fails (DESIGN §2).
"""

from datetime import UTC, datetime

from authmesh_identity.domain import events, messages
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import invalid_token
from authmesh_identity.domain.links import reset_password_url
from authmesh_identity.domain.model import AccountFlowPolicy, TokenState
from authmesh_identity.domain.one_time_tokens import (
    TokenPurpose,
    is_well_formed,
    token_hash,
)
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import UnitOfWork
from authmesh_identity.domain.token_issuing import issue_token
from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Actor

PURPOSE = TokenPurpose.PASSWORD_RESET


def is_live(state: TokenState | None, now: datetime) -> bool:
    return state is not None and not state.consumed and state.expires_at > now


async def request_password_reset(
    uow: UnitOfWork,
    policy: AccountFlowPolicy,
    *,
    email: str,
    redirect_to: str | None,
    actor: Actor | None,
) -> None:
    """Mails a link when the address belongs to a user; says nothing either way."""
    try:
        normalized = normalize_email(email)
    except DomainError:
        return
    async with uow.begin() as tx:
        user = await tx.user_by_email(normalized)
        if user is None:
            return
        invalidated = await tx.invalidate_password_resets(user)
        token, expires_at = await issue_token(tx, PURPOSE, user, policy.reset_password_expires_in)
        url = reset_password_url(policy.base_url, token, redirect_to)
        await tx.add_messages(
            messages.reset_password(
                to=user.email, user_id=user.id, token=token, url=url, expires_at=expires_at
            )
        )
        await tx.add_events(
            events.password_reset_requested(user.id, expires_at, invalidated, actor)
        )


async def check_reset_token(uow: UnitOfWork, *, token: str) -> None:
    """INVALID_TOKEN unless the token is a live reset token; consumes nothing."""
    if not is_well_formed(token):
        raise invalid_token()
    async with uow.begin() as tx:
        state = await tx.token_state(token_hash(PURPOSE, token), PURPOSE.value)
    if not is_live(state, datetime.now(UTC)):
        raise invalid_token()


async def reset_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    password_policy: PasswordPolicy,
    *,
    token: str,
    new_password: str,
    actor: Actor | None,
) -> str:
    """Consumes the token and sets the password; the user's id. Better-Auth's order: a missing
    token, then the password's length, then the token's validity."""
    if not token:
        raise invalid_token()
    password_policy.check(new_password)
    if not is_well_formed(token):
        raise invalid_token()
    hashed = token_hash(PURPOSE, token)
    # A cheap look first, so that dead tokens cost no password hashing.
    async with uow.begin() as tx:
        state = await tx.token_state(hashed, PURPOSE.value)
    if not is_live(state, datetime.now(UTC)):
        raise invalid_token()
    new_hash = await hasher.hash(new_password)
    async with uow.begin() as tx:
        consumed = await tx.consume_token(hashed, PURPOSE.value)
        if consumed is None:
            raise invalid_token()  # a concurrent use won, or it expired meanwhile
        user = await tx.get_user(consumed.user_id) if consumed.user_id else None
        if user is None or user.email != consumed.email:
            raise invalid_token()  # the link went to an address the user no longer has
        await tx.set_password_hash(user.id, new_hash)
        await tx.invalidate_password_resets(user)
        await tx.add_events(
            events.password_reset_completed(user.id, actor),
            events.password_changed(user.id, "reset", True, actor),
        )
        await tx.add_messages(
            messages.password_changed(to=user.email, user_id=user.id, now=datetime.now(UTC))
        )
    return user.id
