"""Better-Auth's cookie cache: the `session_data` cookie, strategy "compact" (api.md §3;
better-auth 1.7.25 `cookies/index.ts` setCookieCache / decodeCookieCache / getCookieCache and
`cookies/session-store.ts` for chunking).

```
sessionData = {"session":…,"user":…,"updatedAt":<ms>,"version":"1"}
signature   = b64url_nopad(HMAC-SHA256(utf8(secret), JSON.stringify({...sessionData, expiresAt})))
cookie      = b64url_nopad(JSON.stringify({"session":sessionData,"expiresAt":<ms>,"signature"}))
```

The gateway writes it so that apps which read it with `getCookieCache` keep working, and reads
one only to decide, as Better-Auth does, whether an answer must carry a fresh one. It never
authorizes from it (DESIGN §2).
"""

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from authmesh_gateway.wire.js import json_stringify, text_encode

VERSION = "1"
# `getDate(options.maxAge || 60)`: a cookie cache without Max-Age (rememberMe:false) is signed
# to last 60 s.
BROWSER_SESSION_LIFETIME_S = 60
# Per-cookie byte ceiling and chunk count of better-auth's session store.
MAX_COOKIE_SIZE = 4050
MAX_CHUNKS = 100
# What getChunkedCookie accepts after `<name>.`: a canonical non-negative integer.
_CHUNK_INDEX = re.compile(r"0|[1-9][0-9]{0,15}")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    """Lenient like better-auth's `base64Url.decode`: padding optional."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, text: bytes) -> bytes:
    return hmac.digest(text_encode(secret), text, hashlib.sha256)


def encode_cookie_cache(
    session_and_user: bytes, *, secret: str, now_ms: int, expires_at_ms: int
) -> str:
    """The cookie value for `session_and_user`, the JSON text of `{"session":…,"user":…}` as
    JSON.stringify writes it (the get-session body). Built by splicing that text: the
    signature must cover exactly the bytes a JavaScript reader re-serializes."""
    if not (session_and_user.startswith(b'{"session":') and session_and_user.endswith(b"}")):
        raise ValueError("not a get-session body")
    session_data = session_and_user[:-1] + b',"updatedAt":%d,"version":"%s"}' % (
        now_ms,
        VERSION.encode(),
    )
    signature = _b64url(_mac(secret, session_data[:-1] + b',"expiresAt":%d}' % expires_at_ms))
    cookie = b'{"session":%s,"expiresAt":%d,"signature":"%s"}' % (
        session_data,
        expires_at_ms,
        signature.encode(),
    )
    return _b64url(cookie)


@dataclass(frozen=True, slots=True)
class CookieCacheClaims:
    """What a verified `session_data` cookie says about itself."""

    token: str
    expires_at_ms: float  # the cookie's own expiry
    session_expires_at_ms: float  # the session's, as cached


def _iso_ms(value: Any) -> float:
    """`new Date(value).getTime()` for the ISO-8601 strings Better-Auth writes; NaN for
    anything else, which Better-Auth treats as expired."""
    if not isinstance(value, str):
        return math.nan
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return math.nan
    if moment.utcoffset() is None:
        return math.nan
    return moment.timestamp() * 1000


def read_cookie_cache(value: str, secret: str) -> CookieCacheClaims | None:
    """decodeCookieCache: the claims of a cookie signed with `secret`, else None.

    Better-Auth verifies with its current secret only, so after a rotation a cookie signed
    with an older one is simply replaced.
    """
    try:
        outer = json.loads(_b64url_decode(value).decode())
    except (ValueError, binascii.Error):
        return None
    if not isinstance(outer, dict):
        return None
    session_data, expires_at, signature = (
        outer.get("session"),
        outer.get("expiresAt"),
        outer.get("signature"),
    )
    if (
        not isinstance(session_data, dict)
        or not _is_number(expires_at)
        or not isinstance(signature, str)
    ):
        return None
    try:
        signed = json_stringify({**session_data, "expiresAt": expires_at}).encode()
        mac = _b64url_decode(signature)
    except (ValueError, binascii.Error):
        return None
    if not hmac.compare_digest(_mac(secret, signed), mac):
        return None
    session, user = session_data.get("session"), session_data.get("user")
    version = session_data.get("version")
    if not (
        isinstance(session, dict)
        and isinstance(user, dict)
        and _is_number(session_data.get("updatedAt"))
        and (version is None or isinstance(version, str))
        and (version or VERSION) == VERSION
        and isinstance(session.get("token"), str)
    ):
        return None
    return CookieCacheClaims(
        token=session["token"],
        expires_at_ms=float(expires_at),
        session_expires_at_ms=_iso_ms(session.get("expiresAt")),
    )


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def claims_are_current(claims: CookieCacheClaims, token: str, now_ms: float) -> bool:
    """Better-Auth's test for serving get-session from the cookie: same token, the cookie
    and the session it holds both unexpired."""
    return (
        claims.token == token
        and claims.expires_at_ms >= now_ms
        and math.isfinite(claims.session_expires_at_ms)
        and claims.session_expires_at_ms >= now_ms
    )


def cookie_cache_value(cookies: Mapping[str, str], name: str) -> str | None:
    """getChunkedCookie: the cookie `name`, or its chunks `name.0`, `name.1`… joined in order."""
    value = cookies.get(name)
    if value:
        return value
    prefix = f"{name}."
    chunks = sorted(
        (int(cookie[len(prefix) :]), chunk)
        for cookie, chunk in cookies.items()
        if cookie.startswith(prefix) and _CHUNK_INDEX.fullmatch(cookie[len(prefix) :])
    )
    return "".join(chunk for _, chunk in chunks) or None


def cookie_cache_names(cookies: Mapping[str, str], name: str) -> list[str]:
    """The request's cookies that make up `name` (itself and its chunks), in request order:
    the ones Better-Auth's session store expires before it writes or clears the cache."""
    prefix = f"{name}."
    return [
        cookie
        for cookie in cookies
        if cookie == name
        or (cookie.startswith(prefix) and _CHUNK_INDEX.fullmatch(cookie[len(prefix) :]))
    ]


def chunk_cookie_value(name: str, value: str, chunk_size: int) -> list[tuple[str, str]]:
    """chunkCookie: `[(name, value)]` when it fits in `chunk_size`, else numbered chunks;
    `[]` when even 100 chunks would not hold it (Better-Auth then skips the cookie)."""
    count = math.ceil(len(value) / chunk_size) if chunk_size > 0 else math.inf
    if count <= 1:
        return [(name, value)]
    if count > MAX_CHUNKS:
        return []
    return [
        (f"{name}.{index}", value[index * chunk_size : (index + 1) * chunk_size])
        for index in range(int(count))
    ]
