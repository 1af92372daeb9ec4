"""Issuing a one-time token: only its purpose-bound hash is stored, in the caller's
transaction, together with the message that carries the token itself."""

from datetime import UTC, datetime, timedelta

from authmesh_identity.domain.model import OneTimeToken, User
from authmesh_identity.domain.one_time_tokens import TokenPurpose, new_token, token_hash
from authmesh_identity.domain.ports import AccountTransaction


async def issue_token(
    tx: AccountTransaction, purpose: TokenPurpose, user: User, lifetime: timedelta
) -> tuple[str, datetime]:
    """The new token (never stored as such) and its expiry."""
    expires_at = datetime.now(UTC) + lifetime
    token = new_token()
    await tx.insert_token(
        OneTimeToken(token_hash(purpose, token), purpose.value, user.id, user.email, expires_at)
    )
    return token, expires_at
