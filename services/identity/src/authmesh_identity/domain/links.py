"""The links mailed to users, built from the configured public base URL only: never from a
request's Host or X-Forwarded-Host, which a client controls (issue 3, scope 2).

Shapes are Better-Auth's (api.md §7 and §9.1), with `encodeURIComponent` for the callback.
"""

from urllib.parse import quote

BASE_PATH = "/api/auth"
_URI_COMPONENT_SAFE = "-_.!~*'()"  # what encodeURIComponent leaves besides letters and digits


def encode_uri_component(text: str) -> str:
    return quote(text, safe=_URI_COMPONENT_SAFE)


def verify_email_url(base_url: str, token: str, callback_url: str | None) -> str:
    """`${baseURL}/verify-email?token=…&callbackURL=…`, the callback defaulting to "/"."""
    callback = encode_uri_component(callback_url or "/")
    return f"{base_url}{BASE_PATH}/verify-email?token={token}&callbackURL={callback}"


def reset_password_url(base_url: str, token: str, redirect_to: str | None) -> str:
    """`${baseURL}/reset-password/<token>?callbackURL=<redirectTo>` (empty without one)."""
    callback = encode_uri_component(redirect_to) if redirect_to else ""
    return f"{base_url}{BASE_PATH}/reset-password/{token}?callbackURL={callback}"
