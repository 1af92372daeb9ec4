"""The redirect fields that Better-Auth's router checks on every POST body before zod
(`originCheckMiddleware` in better-auth 1.7.25 `api/middlewares/origin-check.ts`, WIRE-NOTES
§1.3).

A truthy value that is not a string is a 400 with a message and no code, ahead of any
VALIDATION_ERROR: `{"callbackURL":5}` never reaches zod. A falsy one (`0`, `false`, `null`)
is skipped here and left to zod.

Not here yet: whether a string URL is trusted (403 INVALID_CALLBACK_URL and its siblings)
and the Origin header checks (WIRE-NOTES §6).
"""

from authmesh_gateway.wire.body import Body
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import truthy

# (body key, label in the message), in the order the middleware checks them.
REDIRECT_FIELDS = (
    ("callbackURL", "callbackURL"),
    ("redirectTo", "redirectURL"),
    ("errorCallbackURL", "errorCallbackURL"),
    ("newUserCallbackURL", "newUserCallbackURL"),
)


def check_redirect_fields(body: Body) -> None:
    """`ApiError` 400 for the first redirect field holding a truthy non-string."""
    if not isinstance(body, dict):
        return  # `[]?.callbackURL` is undefined: nothing to check, zod rejects the body
    for key, label in REDIRECT_FIELDS:
        value = body.get(key)
        if truthy(value) and not isinstance(value, str):
            raise ApiError(400, None, f"Invalid {label}: expected a string")
