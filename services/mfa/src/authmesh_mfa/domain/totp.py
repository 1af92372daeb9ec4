"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): pure rules.

Authenticator apps agree on SHA-1, 6 digits and 30-second steps, which Better-Auth uses too,
and so do we; a code is accepted in the current step and one step either side (clock drift).
The code computation is pyotp's. What is ours:
- a secret is 160 random bits (RFC 4226 §4 recommends 160), base32 as apps expect it; it is
  stored sealed with the key ring and bound to its user (`secret_context`);
- `matching_step` answers *which* step a code matched, so that a sign-in can accept each step
  at most once (NIST SP 800-63B §5.1.4.2: an OTP is accepted only once while valid), which
  Better-Auth does not do;
- time comes from this server's clock only, never from the request (ASVS 6.5.8).
"""

import hmac
from urllib.parse import quote, quote_plus

import pyotp

from authmesh_kit.crypto.key_ring import KeyRing, Sealed

DIGITS = 6
PERIOD_S = 30
WINDOW = 1  # steps accepted either side of the current one
_SECRET_BASE32_LENGTH = 32  # 32 base32 characters = 160 bits


def new_secret() -> str:
    """A fresh secret, base32 without padding (pyotp draws it with `secrets`)."""
    return pyotp.random_base32(_SECRET_BASE32_LENGTH)


def secret_context(user_id: str) -> bytes:
    """The associated data a secret is sealed with: a sealed secret moved to another user's
    row fails to open."""
    return f"authmesh.mfa.totp:{user_id}".encode()


def resealed(key_ring: KeyRing, sealed: Sealed, user_id: str) -> Sealed | None:
    """Key rotation: the secret sealed with the ring's current key when an older key sealed it
    (so that the old key can be dropped once no secret needs it), else None."""
    context = secret_context(user_id)
    fresh = key_ring.seal(key_ring.open(sealed, context), context)
    return fresh if fresh.key_id != sealed.key_id else None


def step_at(unix_time: float) -> int:
    return int(unix_time // PERIOD_S)


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD_S).at(step * PERIOD_S)


def matching_step(secret: str, code: str, unix_time: float) -> int | None:
    """The step within the window whose code `code` is, or None. Every step is computed and
    compared in constant time, so the time taken does not tell which one matched."""
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    now = step_at(unix_time)
    matched = None
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(code_at_step(secret, step), code):
            matched = step
    return matched


def totp_uri(secret: str, *, issuer: str, account_name: str) -> str:
    """Better-Auth's `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&digits=6&period=30`:
    the label in JS `encodeURIComponent`, the query in `URLSearchParams` form."""
    label = f"{_encode_uri_component(issuer)}:{_encode_uri_component(account_name)}"
    query = "&".join(
        f"{key}={quote_plus(value, safe='*-._')}"
        for key, value in (
            ("secret", secret),
            ("issuer", issuer),
            ("digits", str(DIGITS)),
            ("period", str(PERIOD_S)),
        )
    )
    return f"otpauth://totp/{label}?{query}"


def _encode_uri_component(value: str) -> str:
    return quote(value, safe="-_.!~*'()")
