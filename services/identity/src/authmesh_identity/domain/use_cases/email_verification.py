"""Email verification (api.md §9.1): mailing a link and consuming it.

Unlike Better-Auth's stateless JWT, the link carries an opaque single-use token stored hashed
(domain/one_time_tokens.py), valid for an hour and bound to the user and the address it was
sent to: a link mailed before an address change verifies nothing.
"""

from authmesh_identity.domain import events, messages
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import (
    email_already_verified,
    email_mismatch,
    invalid_token,
    token_expired,
    user_not_found,
)
from authmesh_identity.domain.links import verify_email_url
from authmesh_identity.domain.model import AccountFlowPolicy, User
from authmesh_identity.domain.one_time_tokens import (
    TokenPurpose,
    is_well_formed,
    token_hash,
)
from authmesh_identity.domain.ports import AccountTransaction, UnitOfWork
from authmesh_identity.domain.token_issuing import issue_token
from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Actor

PURPOSE = TokenPurpose.EMAIL_VERIFICATION


async def issue_verification(
    tx: AccountTransaction,
    policy: AccountFlowPolicy,
    *,
    user: User,
    callback_url: str | None,
    reason: str,
    actor: Actor | None,
) -> None:
    """A new token, its sealed message and its event, in the caller's transaction."""
    token, expires_at = await issue_token(tx, PURPOSE, user, policy.email_verification_expires_in)
    url = verify_email_url(policy.base_url, token, callback_url)
    await tx.add_messages(
        messages.verify_email(
            to=user.email, user_id=user.id, token=token, url=url, expires_at=expires_at
        )
    )
    await tx.add_events(events.email_verification_requested(user.id, reason, expires_at, actor))


async def send_verification_email(
    uow: UnitOfWork,
    policy: AccountFlowPolicy,
    *,
    email: str,
    callback_url: str | None,
    session_user_id: str,
    actor: Actor | None,
) -> None:
    """With a session, for the session's own unverified address only. Without one, the same
    silence whether the address is unknown, verified or mailed (no enumeration)."""
    try:
        normalized = normalize_email(email)
    except DomainError:
        normalized = ""
    async with uow.begin() as tx:
        if session_user_id:
            user = await tx.get_user(session_user_id)
            if user is None:
                raise user_not_found()
            if user.email != normalized:
                raise email_mismatch()
            if user.email_verified:
                raise email_already_verified()
        else:
            found = await tx.user_by_email(normalized) if normalized else None
            if found is None or found.email_verified:
                return
            user = found
        await issue_verification(
            tx, policy, user=user, callback_url=callback_url, reason="request", actor=actor
        )


async def verify_email(uow: UnitOfWork, *, token: str, actor: Actor | None) -> tuple[User, bool]:
    """Consumes the token; the user and whether this call verified the address (False when it
    already was, as Better-Auth answers then: success, no new session)."""
    if not is_well_formed(token):
        raise invalid_token()
    hashed = token_hash(PURPOSE, token)
    async with uow.begin() as tx:
        consumed = await tx.consume_token(hashed, PURPOSE.value)
        if consumed is None:
            state = await tx.token_state(hashed, PURPOSE.value)
            # Neither used nor unknown, yet not consumable: it expired.
            raise token_expired() if state is not None and not state.consumed else invalid_token()
        if consumed.user_id is None:
            raise invalid_token()  # a link of a flow that creates its user, never of this one
        user = await tx.get_user(consumed.user_id)
        if user is None:
            raise user_not_found()
        if user.email != consumed.email:
            raise invalid_token()  # the address changed since the link was sent
        if user.email_verified:
            return user, False
        verified = await tx.set_email_verified(user.id)
        if verified is None:
            raise user_not_found()
        await tx.invalidate_tokens(user.id, PURPOSE.value)  # the other links are moot now
        await tx.add_events(events.email_verified(user.id, actor))
    return verified, True
