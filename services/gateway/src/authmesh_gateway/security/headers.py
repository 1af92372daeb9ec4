"""Response headers the gateway adds to every answer: security headers, `Cache-Control:
no-store` on /api/auth, and CORS for trusted origins.

Better-Auth sets none of these (it leaves them to the host framework) and answers OPTIONS with
404. Authmesh is the host here, so it answers a trusted origin's preflight itself, with
credentials, and lets an untrusted origin's OPTIONS fall through to that 404 with no CORS
header at all.
"""

import re
from collections.abc import Iterable, Sequence

Header = tuple[bytes, bytes]

SECURITY_HEADERS: tuple[Header, ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# Two years, as the HSTS preload list asks; only when the public URL is https.
HSTS: Header = (b"strict-transport-security", b"max-age=63072000")
NO_STORE: Header = (b"cache-control", b"no-store")
ALLOW_METHODS = b"GET, POST, PUT, PATCH, DELETE"
PREFLIGHT_MAX_AGE = b"600"
# Requested header names echoed in a preflight answer: a comma list of HTTP tokens, bounded.
_HEADER_LIST = re.compile(
    rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*"
)
_MAX_REQUESTED_HEADERS = 1024


def cors_headers(origin: bytes) -> tuple[Header, ...]:
    return (
        (b"access-control-allow-origin", origin),
        (b"access-control-allow-credentials", b"true"),
    )


def preflight_headers(origin: bytes, requested_headers: bytes | None) -> list[Header]:
    """The 204 answer's CORS headers for a trusted origin's preflight."""
    headers = [
        *cors_headers(origin),
        (b"access-control-allow-methods", ALLOW_METHODS),
        (b"access-control-max-age", PREFLIGHT_MAX_AGE),
        (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
    ]
    if requested_headers is not None:
        requested = requested_headers.strip(b" \t")
        if len(requested) <= _MAX_REQUESTED_HEADERS and _HEADER_LIST.fullmatch(requested):
            headers.append((b"access-control-allow-headers", requested))
    return headers


def merge_token(headers: list[Header], name: bytes, token: bytes) -> None:
    """Adds `token` to the comma list of header `name` (created if absent, left alone if the
    token is already listed), in place: `Vary`, `Access-Control-Expose-Headers`."""
    for index, (key, value) in enumerate(headers):
        if key.lower() == name:
            listed = {item.strip().lower() for item in value.split(b",")}
            if token.lower() not in listed and b"*" not in listed:
                headers[index] = (key, value + b", " + token if value.strip() else token)
            return
    headers.append((name, token))


def has_header(headers: Iterable[Header], name: bytes) -> bool:
    return any(key.lower() == name for key, _ in headers)


def response_headers(
    headers: Sequence[Header],
    *,
    static: Sequence[Header],
    no_store: bool,
    cors: tuple[Header, ...] | None,
    vary_origin: bool,
) -> list[Header]:
    """`headers` plus the gateway's own, as a new list (responses may share theirs)."""
    out = [*headers, *static]
    if no_store and not has_header(headers, b"cache-control"):
        out.append(NO_STORE)
    if cors is not None:
        out.extend(cors)
    if vary_origin:
        merge_token(out, b"vary", b"Origin")
    return out
