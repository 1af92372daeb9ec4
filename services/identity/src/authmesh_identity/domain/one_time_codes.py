"""Short one-time codes (email and SMS OTPs): pure rules.

A code is a few digits, so unlike a link token it can be guessed; what protects it is the
attempt limit, not its length. Each (purpose, identifier) has at most one live code: issuing a
new one replaces the old. Two counters guard it (NIST SP 800-63B §5.2.2, DESIGN §4):
- `attempts`: wrong guesses at the current code; at `attempts_per_code` the code is dead
  (Better-Auth's `allowedAttempts`, 3).
- `failures`: consecutive wrong guesses across codes. Requesting a new code does not reset it;
  only a right guess does. At `failures_before_lockout` every code of that identifier and
  purpose is refused, even a right one, until the lockout ends.
Both are raised by one UPDATE per guess, so 50 concurrent wrong guesses count as 50.

Only a SHA-256 of purpose, identifier and code is stored; being bound to both, a code issued
for one purpose or address is never accepted for another. Codes live minutes; the hash keeps
them out of backups and logs, while the attempt limits are what make guessing useless.

How a use case uses them (store/uow.py implements the two transaction methods), to send:
    async with uow.begin() as tx:
        code, expires_at = await issue_code(tx, purpose, identifier, policy, user_id)
        ... seal a message carrying `code` in the same transaction ...   (code_issuing.py)
and to verify, with the failure committed even though the flow then fails:
    async with uow.begin() as tx:
        check = await tx.use_code(purpose, identifier, code_hash(...), policy, consume=True)
        if check.outcome is CodeOutcome.VALID:
            ... the state change, in the same transaction as the consumption ...
    (after the transaction) map any other outcome to the flow's own error.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum, StrEnum


class CodePurpose(StrEnum):
    EMAIL_SIGN_IN = "email-otp:sign-in"
    EMAIL_VERIFICATION = "email-otp:email-verification"
    EMAIL_PASSWORD_RESET = "email-otp:forget-password"  # noqa: S105 - a purpose
    EMAIL_CHANGE = "email-otp:change-email"
    PHONE_VERIFICATION = "phone-otp:verification"
    PHONE_PASSWORD_RESET = "phone-otp:password-reset"  # noqa: S105 - a purpose


class CodeOutcome(Enum):
    VALID = "valid"
    NOT_FOUND = "not-found"  # never issued, or already used
    EXPIRED = "expired"
    INVALID = "invalid"  # a wrong guess, counted
    TOO_MANY_ATTEMPTS = "too-many-attempts"  # the code is dead, or the identifier locked out


@dataclass(frozen=True)
class CodePolicy:
    length: int = 6
    lifetime: timedelta = timedelta(minutes=5)
    attempts_per_code: int = 3
    failures_before_lockout: int = 10
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class CodeCheck:
    outcome: CodeOutcome
    user_id: str | None = None  # the user the code was issued to, when VALID


def new_code(length: int) -> str:
    return f"{secrets.randbelow(10**length):0{length}d}"


def code_hash(purpose: CodePurpose, identifier: str, code: str) -> bytes:
    return hashlib.sha256(f"{purpose.value}\x00{identifier}\x00{code}".encode()).digest()
