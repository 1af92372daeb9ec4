"""One-time secrets sent as links (email verification, password reset, magic links): pure rules.

A token is 32 characters from [A-Za-z0-9] (about 190 bits from `secrets`), opaque and single-use;
it exists only in the message to the user. Identity stores the SHA-256 of the purpose and the
token together, so a token of one kind can never be found, let alone consumed, as another
(issue 3, scope 2; OWASP ASVS V2.5). Consuming one is a single conditional UPDATE (store/uow.py).
"""

import hashlib
import re
import secrets
import string
from enum import StrEnum

TOKEN_LENGTH = 32
_ALPHABET = string.ascii_letters + string.digits
_WELL_FORMED = re.compile(rf"[A-Za-z0-9]{{{TOKEN_LENGTH}}}")


class TokenPurpose(StrEnum):
    EMAIL_VERIFICATION = "email-verification"
    PASSWORD_RESET = "password-reset"  # noqa: S105 - a purpose, not a password
    EMAIL_CHANGE = "email-change"  # its row records the new address, where it was sent
    DELETE_ACCOUNT = "delete-account"
    MAGIC_LINK = "magic-link"  # may have no user yet: it signs up a new address


def new_token() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(TOKEN_LENGTH))


def is_well_formed(token: str) -> bool:
    """Anything else was never issued: it is refused without a lookup."""
    return _WELL_FORMED.fullmatch(token) is not None


def token_hash(purpose: TokenPurpose, token: str) -> bytes:
    """What the store keeps and looks up: bound to the purpose as well as to the token."""
    return hashlib.sha256(f"{purpose.value}:{token}".encode()).digest()
