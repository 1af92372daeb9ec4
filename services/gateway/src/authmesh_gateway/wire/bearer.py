"""Better-Auth's bearer plugin, `requireSignature` off (api.md §9.10; better-auth 1.7.25
`plugins/bearer`): `Authorization: Bearer <credential>` stands in for the session cookie.

The credential is either the signed value of `set-auth-token` (`token.signature`, URL-encoded
or not), which must verify like the cookie, or the raw session token, which Better-Auth signs
itself and so accepts as it is.
"""

import re
from dataclasses import dataclass

from authmesh_gateway.wire.js import trim

_SCHEME = "bearer "  # compared case-insensitively, the space included
# What a raw session token can look like (Better-Auth's are 32 of [A-Za-z0-9]; imported ones
# may differ). Anything else cannot name a session, and is refused without asking for one.
_RAW_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True, slots=True)
class BearerCredential:
    value: str
    signed: bool  # a `token.signature` value, to verify as a signed cookie is


def bearer_credential(authorization: str) -> BearerCredential | None:
    """The credential of an `Authorization` header, or None when it is not a Bearer one that
    may name a session (the header is then ignored and the cookie, if any, read instead)."""
    if authorization[: len(_SCHEME)].lower() != _SCHEME:
        return None
    value = trim(authorization[len(_SCHEME) :])
    if "." in value:
        return BearerCredential(value, signed=True)
    return BearerCredential(value, signed=False) if _RAW_TOKEN.fullmatch(value) else None
