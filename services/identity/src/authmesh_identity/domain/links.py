"""The links mailed to users, built from the configured public base URL only: never from a
request's Host or X-Forwarded-Host, which a client controls (issue 3, scope 2).

Shapes are Better-Auth's (api.md §7, §9.1 and §9.5), with `encodeURIComponent` for the
callback, or `URLSearchParams` where Better-Auth builds the query with it (magic links).
"""

from urllib.parse import quote, quote_plus

BASE_PATH = "/api/auth"
_URI_COMPONENT_SAFE = "-_.!~*'()"  # what encodeURIComponent leaves besides letters and digits


def encode_uri_component(text: str) -> str:
    return quote(text, safe=_URI_COMPONENT_SAFE)


def verify_email_url(base_url: str, token: str, callback_url: str | None) -> str:
    """`${baseURL}/verify-email?token=…&callbackURL=…`, the callback defaulting to "/"."""
    callback = encode_uri_component(callback_url or "/")
    return f"{base_url}{BASE_PATH}/verify-email?token={token}&callbackURL={callback}"


def delete_account_url(base_url: str, token: str, callback_url: str | None) -> str:
    """`${baseURL}/delete-user/callback?token=…&callbackURL=…`, the callback defaulting to "/"."""
    callback = encode_uri_component(callback_url or "/")
    return f"{base_url}{BASE_PATH}/delete-user/callback?token={token}&callbackURL={callback}"


def reset_password_url(base_url: str, token: str, redirect_to: str | None) -> str:
    """`${baseURL}/reset-password/<token>?callbackURL=<redirectTo>` (empty without one)."""
    callback = encode_uri_component(redirect_to) if redirect_to else ""
    return f"{base_url}{BASE_PATH}/reset-password/{token}?callbackURL={callback}"


def form_urlencode(text: str) -> str:
    """One value as `URLSearchParams` writes it: spaces as `+`, everything but letters, digits
    and `*-._` percent-encoded (Python's `quote` would keep `~`)."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def magic_link_url(
    base_url: str,
    token: str,
    *,
    callback_url: str | None,
    new_user_callback_url: str | None,
    error_callback_url: str | None,
) -> str:
    """`${baseURL}/magic-link/verify?token=…&callbackURL=…[&newUserCallbackURL=…]
    [&errorCallbackURL=…]`, the callback defaulting to "/"."""
    params = [("token", token), ("callbackURL", callback_url or "/")]
    if new_user_callback_url:
        params.append(("newUserCallbackURL", new_user_callback_url))
    if error_callback_url:
        params.append(("errorCallbackURL", error_callback_url))
    query = "&".join(f"{key}={form_urlencode(value)}" for key, value in params)
    return f"{base_url}{BASE_PATH}/magic-link/verify?{query}"
