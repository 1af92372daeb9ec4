"""Issuing a short one-time code: only its purpose- and identifier-bound hash is stored, in the
caller's transaction, together with the message that carries the code itself."""

from datetime import UTC, datetime

from authmesh_identity.domain.one_time_codes import CodePolicy, CodePurpose, code_hash, new_code
from authmesh_identity.domain.ports import AccountTransaction


async def issue_code(
    tx: AccountTransaction,
    purpose: CodePurpose,
    identifier: str,
    policy: CodePolicy,
    user_id: str | None,
) -> tuple[str, datetime]:
    """A new code for the identifier, replacing its live one; the failure count is kept (NIST).
    Returns the code (never stored as such) and its expiry."""
    code = new_code(policy.length)
    expires_at = datetime.now(UTC) + policy.lifetime
    await tx.put_code(
        purpose.value, identifier, code_hash(purpose, identifier, code), user_id, expires_at
    )
    return code, expires_at
