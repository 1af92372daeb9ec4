"""Email change (api.md §9.1 change-email), always confirmed at the new address.

Better-Auth mails a stateless JWT; here the link carries an opaque single-use token of its own
purpose (`email-change`), stored hashed, whose row records the new address. A newer request
spends the older links. Confirming sets the address, verified (the link proved the mailbox),
spends every other live one-time secret of the user (they went to the old address) and tells
the old address. The caller then revokes the user's sessions: email.changed guarantees it
(issue 3, scope 5), since whoever held the old mailbox or a session may be who the change
is meant to shut out.

GET /verify-email serves both kinds of link, so `verify_email_link` tells them apart by the
purpose under which the token is stored: a token is never accepted as another purpose's.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from authmesh_identity.domain import events, messages
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import (
    email_unchanged,
    invalid_token,
    invalid_user,
    token_expired,
    user_not_found,
)
from authmesh_identity.domain.links import verify_email_url
from authmesh_identity.domain.model import AccountFlowPolicy, TokenState, User
from authmesh_identity.domain.one_time_tokens import TokenPurpose, is_well_formed, token_hash
from authmesh_identity.domain.ports import UnitOfWork
from authmesh_identity.domain.token_issuing import issue_token
from authmesh_identity.domain.use_cases import email_verification
from authmesh_kit.events.envelope import Actor

PURPOSE = TokenPurpose.EMAIL_CHANGE


@dataclass(frozen=True)
class VerifiedLink:
    """What a /verify-email link did."""

    user: User
    newly_verified: bool  # a verification link that verified the address
    email_changed: bool  # an email-change link: `user` has the new address


async def request_email_change(
    uow: UnitOfWork,
    policy: AccountFlowPolicy,
    *,
    user_id: str,
    new_email: str,
    callback_url: str | None,
    actor: Actor | None,
) -> None:
    """Mails a change link to `new_email`. An address another user has gets the same silence
    and no mail, as Better-Auth answers: the answer does not tell who is registered."""
    new_address = normalize_email(new_email)
    async with uow.begin() as tx:
        user = await tx.get_user(user_id)
        if user is None:
            raise user_not_found()
        if new_address == user.email:
            raise email_unchanged()
        if await tx.user_by_email(new_address) is not None:
            return
        await tx.invalidate_tokens(user.id, PURPOSE.value)
        token, expires_at = await issue_token(
            tx, PURPOSE, user, policy.email_verification_expires_in, sent_to=new_address
        )
        url = verify_email_url(policy.base_url, token, callback_url)
        await tx.add_messages(
            messages.verify_email(
                to=new_address, user_id=user.id, token=token, url=url, expires_at=expires_at
            )
        )
        await tx.add_events(events.email_change_requested(user.id, expires_at, actor))


async def verify_email_link(
    uow: UnitOfWork, *, token: str, session_user_id: str, actor: Actor | None
) -> VerifiedLink:
    """Consumes a /verify-email link: an email change when the token is stored as one,
    otherwise an email verification (domain/use_cases/email_verification.py)."""
    if not is_well_formed(token):
        raise invalid_token()
    hashed = token_hash(PURPOSE, token)
    async with uow.begin() as tx:
        state = await tx.token_state(hashed, PURPOSE.value)
    if state is None:
        user, newly_verified = await email_verification.verify_email(uow, token=token, actor=actor)
        return VerifiedLink(user, newly_verified=newly_verified, email_changed=False)
    user = await _confirm_email_change(
        uow, hashed, state, session_user_id=session_user_id, actor=actor
    )
    return VerifiedLink(user, newly_verified=False, email_changed=True)


async def _confirm_email_change(
    uow: UnitOfWork,
    hashed: bytes,
    state: TokenState,
    *,
    session_user_id: str,
    actor: Actor | None,
) -> User:
    # Checked before consuming: a link opened in someone else's session stays usable.
    if session_user_id and session_user_id != state.user_id:
        raise invalid_user()
    now = datetime.now(UTC)
    async with uow.begin() as tx:
        consumed = await tx.consume_token(hashed, PURPOSE.value)
        if consumed is None:  # used, expired, or a concurrent use won
            expired = not state.consumed and state.expires_at <= now
            raise token_expired() if expired else invalid_token()
        user = await tx.get_user(consumed.user_id) if consumed.user_id else None
        if user is None:
            raise user_not_found()
        # EMAIL_TAKEN (rolling all of this back) when the address was taken since the request.
        changed = await tx.change_email(user.id, consumed.email)
        if changed is None:
            raise user_not_found()
        invalidated = await tx.invalidate_secrets(user.id, user.email)
        await tx.add_events(events.email_changed(user.id, invalidated, actor))
        await tx.add_messages(
            messages.email_changed(to=user.email, user_id=user.id, new_email=changed.email, now=now)
        )
    return changed
