"""Sign-in challenges and the codes mailed for them: pure rules.

A challenge id is what the `two_factor` cookie carries: `2fa-` and 32 characters of
[A-Za-z0-9] (about 190 bits; Better-Auth's has 20). Only its SHA-256 is stored, so a database
read reveals no usable cookie.

A mailed code (6 digits) belongs to a scope: the challenge it was sent for, or the session that
asked for it. Its stored hash is bound to the scope, so a code sent to one sign-in is useless
to another. Five tries per code; guessing is further bounded by the challenge's attempts and
the user's lockout.
"""

import hashlib
import re
import secrets
import string

CHALLENGE_PREFIX = "2fa-"
_ID_LENGTH = 32
_ALPHABET = string.ascii_letters + string.digits
_WELL_FORMED = re.compile(rf"{CHALLENGE_PREFIX}[A-Za-z0-9]{{{_ID_LENGTH}}}")
OTP_DIGITS = 6


def new_challenge_id() -> str:
    return CHALLENGE_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_ID_LENGTH))


def is_well_formed(challenge_id: str) -> bool:
    """Anything else was never issued: refused without a lookup."""
    return _WELL_FORMED.fullmatch(challenge_id) is not None


def challenge_hash(challenge_id: str) -> bytes:
    return hashlib.sha256(f"challenge:{challenge_id}".encode()).digest()


def challenge_scope(challenge_id: str) -> bytes:
    """The scope key of the codes mailed for a challenge."""
    return hashlib.sha256(f"otp-scope:challenge:{challenge_id}".encode()).digest()


def session_scope(session_id: str) -> bytes:
    """The scope key of the codes mailed for a signed-in session."""
    return hashlib.sha256(f"otp-scope:session:{session_id}".encode()).digest()


def new_otp() -> str:
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def otp_hash(scope: bytes, code: str) -> bytes:
    return hashlib.sha256(scope + b"\x00" + code.encode()).digest()
