"""Better-Auth's origin and CSRF checks (api.md §5; better-auth 1.7.25
`api/middlewares/origin-check.ts`), as pure functions that raise `ApiError`.

They run where the peer runs them (WIRE-NOTES §1), not in the edge middleware, because their
order against body errors shows on the wire:
1. after the body is read (415 and invalid JSON win): `check_origin` for requests that carry a
   Cookie header, then `check_redirect_urls` on the body's and query's redirect fields — both
   from `http_io.read_body`, on every POST;
2. after zod (a VALIDATION_ERROR wins): `check_form_csrf` on the four first-login endpoints
   (`FORM_CSRF_PATHS`), from their route.
GET endpoints that take a callback URL in the query check it with `check_callback_url`.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from authmesh_gateway.security.origins import TrustedOrigins
from authmesh_gateway.security.urls import http_origin
from authmesh_gateway.wire.body import Body
from authmesh_gateway.wire.callback_urls import REDIRECT_FIELDS
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import trim, truthy

# formCsrfMiddleware's endpoints (below the base path).
FORM_CSRF_PATHS = frozenset(
    {"/sign-up/email", "/sign-in/email", "/sign-in/magic-link", "/email-otp/send-verification-otp"}
)
# label (as in the 400 message) → the 403 code of an untrusted value.
_UNTRUSTED_CODES = {
    "callbackURL": "INVALID_CALLBACK_URL",
    "redirectURL": "INVALID_REDIRECT_URL",
    "errorCallbackURL": "INVALID_ERROR_CALLBACK_URL",
    "newUserCallbackURL": "INVALID_NEW_USER_CALLBACK_URL",
}


@dataclass(frozen=True, slots=True)
class OriginHeaders:
    """The request headers the checks read, each as the Fetch API's `headers.get` gives it
    (repeated headers joined with ", "; None when absent)."""

    origin: str | None = None
    referer: str | None = None
    has_cookie: bool = False
    host: str | None = None
    sec_fetch_site: str | None = None
    sec_fetch_mode: str | None = None
    sec_fetch_dest: str | None = None

    @classmethod
    def read(cls, getlist: Callable[[str], Sequence[str]]) -> "OriginHeaders":
        """From `getlist(name)`: every value sent under a (lower-case) header name."""

        def get(name: str) -> str | None:
            values = getlist(name)
            return ", ".join(values) if values else None

        return cls(
            origin=get("origin"),
            referer=get("referer"),
            has_cookie=bool(getlist("cookie")),
            host=get("host"),
            sec_fetch_site=get("sec-fetch-site"),
            sec_fetch_mode=get("sec-fetch-mode"),
            sec_fetch_dest=get("sec-fetch-dest"),
        )


def check_origin(headers: OriginHeaders, *, trusted: TrustedOrigins, force: bool = False) -> None:
    """`validateOrigin`: only for a request with a Cookie header unless `force`d. The origin is
    Origin, else Referer; `Origin: null` with `Sec-Fetch-Site: same-origin` stands for the
    request's own origin (the base URL's scheme, the Host header), which must be trusted too.
    Missing or "null" → 403 MISSING_OR_NULL_ORIGIN; not trusted → 403 INVALID_ORIGIN."""
    if not (force or headers.has_cookie):
        return
    candidate = headers.origin or headers.referer or ""
    if headers.origin == "null" and headers.sec_fetch_site == "same-origin" and headers.host:
        candidate = http_origin(f"{trusted.base_scheme}://{headers.host}") or candidate
    if not candidate or candidate == "null":
        raise ApiError.from_code(403, "MISSING_OR_NULL_ORIGIN")
    if not trusted.is_trusted_origin_header(candidate):
        raise ApiError.from_code(403, "INVALID_ORIGIN")


def check_form_csrf(headers: OriginHeaders, *, trusted: TrustedOrigins) -> None:
    """`formCsrfMiddleware`, for the first login, when there is no cookie yet: a cross-site
    navigation (an HTML form posted from another site) is refused, and any other request with
    Fetch Metadata, an Origin or a Referer must come from a trusted origin."""
    if headers.has_cookie:
        check_origin(headers, trusted=trusted)
        return
    site, mode, dest = headers.sec_fetch_site, headers.sec_fetch_mode, headers.sec_fetch_dest
    if any(value and trim(value) for value in (site, mode, dest)):
        if site == "cross-site" and mode == "navigate":
            raise ApiError.from_code(403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
        check_origin(headers, trusted=trusted, force=True)
    elif headers.origin or headers.referer:
        check_origin(headers, trusted=trusted, force=True)


def check_callback_url(value: object, label: str, *, trusted: TrustedOrigins) -> None:
    """One redirect field: skipped when falsy, 400 when not a string, 403 `INVALID_*` when not
    a trusted origin or a safe relative path."""
    if not truthy(value):
        return
    if not isinstance(value, str):
        raise ApiError(400, None, f"Invalid {label}: expected a string")
    if not trusted.is_trusted(value, allow_relative_paths=True):
        raise ApiError.from_code(403, _UNTRUSTED_CODES[label])


def check_redirect_urls(
    body: Body, query: Mapping[str, Sequence[str]], *, trusted: TrustedOrigins
) -> None:
    """The router's field checks, in its order: `body.callbackURL || query.callbackURL`, then
    `body.redirectTo`, `errorCallbackURL`, `newUserCallbackURL`, each type then trust (so an
    untrusted callbackURL is a 403 even when a later field is a number). A repeated query key
    is an array, hence not a string."""
    fields = body if isinstance(body, dict) else {}
    for key, label in REDIRECT_FIELDS:
        value: object = fields.get(key)
        if key == "callbackURL" and not truthy(value):
            values = query.get(key)
            if values:
                value = values[0] if len(values) == 1 else list(values)
        check_callback_url(value, label, trusted=trusted)
