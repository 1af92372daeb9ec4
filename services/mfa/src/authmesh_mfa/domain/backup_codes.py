"""Backup codes (NIST SP 800-63B look-up secrets): pure rules.

Ten codes `XXXXX-XXXXX` of [a-zA-Z0-9] (Better-Auth's format), about 60 bits each from
`secrets`. Only a hash is stored: PBKDF2-HMAC-SHA256 with a random salt per user, renewed with
every new set. The codes carry less than the 112 bits for which NIST allows a plain hash, so the
hash is salted and iterated (SP 800-63B §3.1.2.2); being one salt per set, a code typed at
sign-in is hashed once and looked up by equality. A code is used up by a conditional UPDATE in
store/, so that of concurrent uses exactly one succeeds.
"""

import hashlib
import secrets
import string

COUNT = 10
_HALF = 5
_ALPHABET = string.ascii_letters + string.digits
SALT_BYTES = 16
# Anything longer was never issued: it is refused without hashing.
MAX_CODE_LENGTH = 64


def new_codes(count: int = COUNT) -> list[str]:
    return [_new_code() for _ in range(count)]


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(2 * _HALF))
    return f"{raw[:_HALF]}-{raw[_HALF:]}"


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def code_hash(code: str, salt: bytes, iterations: int) -> bytes:
    """CPU-bound (milliseconds): call it off the event loop."""
    return hashlib.pbkdf2_hmac("sha256", code.encode(), salt, iterations)
