"""Better-Auth's cookies byte for byte: names, signed values, Set-Cookie lines and the `Cookie`
request header (api.md §3 and §11.1; better-call 1.4.5 `cookies.ts` and `crypto.ts`).

A signed value is `value + "." + base64(HMAC-SHA256(utf8(secret), utf8(value)))` with standard
padded base64, sent through `encodeURIComponent`. Secrets rotate: sign with the newest and
accept any, so sessions survive a rotation.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from authmesh_gateway.wire.dates import utc_string
from authmesh_gateway.wire.js import (
    encode_uri_component,
    text_encode,
    trim,
    try_decode_uri_component,
)

DEFAULT_PREFIX = "better-auth"
SECURE_PREFIX = "__Secure-"
# better-call refuses a longer Max-Age (the 400-day cap of RFC 6265bis).
MAX_AGE_LIMIT_S = 34_560_000
# base64 of a 32-byte HMAC-SHA256: 43 characters and one "=".
_SIGNATURE_LENGTH = 44

SameSite = Literal["Lax", "Strict", "None"]


def _hmac(value: str, secret: str) -> bytes:
    return hmac.digest(text_encode(secret), text_encode(value), hashlib.sha256)


def signed_value(value: str, secret: str) -> str:
    """`value.signature` before URL-encoding: what the bearer plugin's `set-auth-token` carries."""
    return f"{value}.{base64.b64encode(_hmac(value, secret)).decode()}"


def sign_cookie_value(value: str, secret: str) -> str:
    """better-call `signCookieValue`: the signed cookie value as it goes on the wire."""
    return encode_uri_component(signed_value(value, secret))


def verify_signed_cookie(wire_value: str, secrets: Sequence[str]) -> str | None:
    """The signed value if a signature under any of `secrets` verifies, else None.

    Mirrors better-call `getSignedCookie`: URL-decode, split at the last `.`, require a
    44-character signature ending in `=`, then compare MACs. The signature is compared as the
    bytes it decodes to, as WebCrypto `verify` does after `atob`, so unused low bits in its last
    character are ignored. Every secret is tried, whichever matches, to keep the time flat.
    """
    raw = try_decode_uri_component(wire_value)
    dot = raw.rfind(".")
    if dot < 1:
        return None
    value, signature = raw[:dot], raw[dot + 1 :]
    if len(signature) != _SIGNATURE_LENGTH or not signature.endswith("="):
        return None
    try:
        mac = binascii.a2b_base64(signature, strict_mode=True)
    except ValueError:  # not base64 (binascii.Error) or not ASCII
        return None
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(_hmac(value, secret), mac)
    return value if matched else None


def parse_cookie_header(header: str) -> dict[str, str]:
    """name → value from a `Cookie` request header, as better-call `parseCookies` reads it.

    Names and values are trimmed, one pair of surrounding quotes is dropped, the first
    occurrence of a name wins, and text without `=` is skipped; it never raises. Values are
    left URL-encoded: `verify_signed_cookie` decodes them itself, and unsigned values go
    through `try_decode_uri_component`.
    """
    cookies: dict[str, str] = {}
    index = 0
    while index < len(header):
        equals = header.find("=", index)
        if equals == -1:
            break
        end = header.find(";", index)
        if end == -1:
            end = len(header)
        elif end < equals:
            # A pair without `=`: resume after the last `;` before the next `=`.
            index = header.rfind(";", 0, equals) + 1
            continue
        name = trim(header[index:equals])
        if name not in cookies:
            value = trim(header[equals + 1 : end])
            cookies[name] = value[1:-1] if value.startswith('"') else value
        index = end + 1
    return cookies


@dataclass(frozen=True, slots=True)
class CookieNames:
    """Cookie names, `<prefix>.<name>` with `__Secure-` in front when cookies are Secure, and
    the attributes every Authmesh cookie shares: Secure, and `Domain` when cookies are shared
    across subdomains (Better-Auth's `crossSubDomainCookies`)."""

    prefix: str = DEFAULT_PREFIX
    secure: bool = False
    domain: str | None = None

    @classmethod
    def for_base_url(
        cls, prefix: str, base_url: str, *, cross_subdomain: bool = False, domain: str = ""
    ) -> "CookieNames":
        """Secure exactly when the base URL is https, as Better-Auth decides for a fixed
        `baseURL` without `advanced.useSecureCookies`. Cross-subdomain cookies carry `domain`,
        or the base URL's host when it is empty."""
        shared_domain = (domain or urlsplit(base_url).hostname) if cross_subdomain else None
        return cls(prefix or DEFAULT_PREFIX, base_url.startswith("https://"), shared_domain)

    def name(self, cookie: str) -> str:
        return f"{SECURE_PREFIX if self.secure else ''}{self.prefix}.{cookie}"

    def set_line(self, name: str, value: str, max_age: int | None) -> str:
        """A `Set-Cookie` value for one of these cookies (see `set_cookie_header`)."""
        return set_cookie_header(name, value, max_age, self.secure, domain=self.domain)

    def delete_line(self, name: str) -> str:
        """Better-Auth's `expireCookie` for one of these cookies."""
        return delete_cookie_header(name, self.secure, domain=self.domain)

    @property
    def session_token(self) -> str:
        return self.name("session_token")

    @property
    def session_data(self) -> str:
        return self.name("session_data")

    @property
    def dont_remember(self) -> str:
        return self.name("dont_remember")

    @property
    def two_factor(self) -> str:
        return self.name("two_factor")

    @property
    def trust_device(self) -> str:
        return self.name("trust_device")


def set_cookie_header(
    name: str,
    value: str,
    max_age: int | None,
    secure: bool,
    *,
    domain: str | None = None,
    expires: datetime | None = None,
    same_site: SameSite = "Lax",
    partitioned: bool = False,
) -> str:
    """A `Set-Cookie` value in better-call's attribute order:
    `name=value; Max-Age; Domain; Path=/; Expires; HttpOnly; Secure; SameSite; Partitioned`.

    `value` must already be wire-safe (`sign_cookie_value`, `encode_uri_component`, base64url).
    `max_age=None` makes a browser-session cookie. Path and HttpOnly are fixed: Authmesh offers
    no per-cookie overrides. As in better-call, a `__Secure-`/`__Host-` name, `SameSite=None`
    or `Partitioned` forces Secure, and `__Host-` drops the domain.
    """
    if max_age is not None and max_age > MAX_AGE_LIMIT_S:
        raise ValueError(f"Max-Age above {MAX_AGE_LIMIT_S} s (400 days)")
    lowered = name.lower()
    if lowered.startswith("__host-"):
        domain = None
    secure = secure or lowered.startswith(("__secure-", "__host-"))
    secure = secure or partitioned or same_site == "None"
    attributes = [f"{name}={value}"]
    if max_age is not None and max_age >= 0:
        attributes.append(f"Max-Age={max_age}")
    if domain:
        attributes.append(f"Domain={domain}")
    attributes.append("Path=/")
    if expires is not None:
        attributes.append(f"Expires={utc_string(expires)}")
    attributes.append("HttpOnly")
    if secure:
        attributes.append("Secure")
    attributes.append(f"SameSite={same_site}")
    if partitioned:
        attributes.append("Partitioned")
    return "; ".join(attributes)


def delete_cookie_header(name: str, secure: bool, *, domain: str | None = None) -> str:
    """Better-Auth's `expireCookie`: empty value, `Max-Age=0`, the cookie's other attributes."""
    return set_cookie_header(name, "", 0, secure, domain=domain)
