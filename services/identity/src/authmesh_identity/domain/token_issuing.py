"""Issuing a one-time token: only its purpose-bound hash is stored, in the caller's
transaction, together with the message that carries the token itself."""

from datetime import UTC, datetime, timedelta

from authmesh_identity.domain.model import OneTimeToken, User
from authmesh_identity.domain.one_time_tokens import TokenPurpose, new_token, token_hash
from authmesh_identity.domain.ports import AccountTransaction


async def issue_token(
    tx: AccountTransaction,
    purpose: TokenPurpose,
    user: User | None,
    lifetime: timedelta,
    *,
    sent_to: str | None = None,
    new_user_name: str | None = None,
) -> tuple[str, datetime]:
    """The new token (never stored as such) and its expiry. The row records the address the
    token is mailed to: the user's own unless `sent_to` says otherwise (an email change, or a
    magic link to an address no user has yet, which has no user and may name the new one)."""
    expires_at = datetime.now(UTC) + lifetime
    token = new_token()
    email = sent_to or (user.email if user else None)
    if email is None:
        raise ValueError("a token without a user needs the address it is sent to")
    await tx.insert_token(
        OneTimeToken(
            token_hash(purpose, token),
            purpose.value,
            user.id if user else None,
            email,
            expires_at,
            new_user_name,
        )
    )
    return token, expires_at
