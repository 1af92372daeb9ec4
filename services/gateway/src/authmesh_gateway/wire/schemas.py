"""The zod body schemas of the Better-Auth endpoints the gateway serves, as field specs.

Transcribed from better-auth 1.7.25 (`api/routes/sign-up.ts`, `sign-in.ts`, `sign-out.ts`) and
pinned by the peer answers in tests/unit/test_validation.py. Field order is zod's issue order.
"""

from authmesh_gateway.wire.validation import BodySchema, Field

# Authmesh caps every text field (Better-Auth has no limits); a longer value is the same zod
# "Too big" issue Better-Auth would give for a `.max(n)`.
MAX_NAME = 256
MAX_EMAIL = 254
MAX_URL = 2048
# User fields declared `input: false` with no default (admin and phone-number plugins): a
# sign-up that sets one to a truthy value is FIELD_NOT_ALLOWED. Those with a default
# (`emailVerified`, `banned`, `twoFactorEnabled`) are silently ignored instead.
NOT_INPUT_USER_FIELDS = ("phoneNumberVerified", "role", "banReason", "banExpires")

# z.object({name, email: z.email(), password: z.string().nonempty(), image?, callbackURL?,
# rememberMe?}).and(z.record(z.string(), z.any())): extra user fields such as `username` pass.
SIGN_UP_EMAIL = BodySchema(
    (
        Field("name", "string", max_length=MAX_NAME),
        Field("email", "string", email=True, max_length=MAX_EMAIL),
        Field("password", "string", min_length=1),
        Field("image", "string", required=False, max_length=MAX_URL),
        Field("callbackURL", "string", required=False, max_length=MAX_URL),
        Field("rememberMe", "boolean", required=False),
    ),
    shape="object_and_record",
)

# The email format and the password length are checked by the handler, not by zod:
# they answer INVALID_EMAIL and PASSWORD_TOO_LONG, not VALIDATION_ERROR.
SIGN_IN_EMAIL = BodySchema(
    (
        Field("email", "string", max_length=MAX_EMAIL),
        Field("password", "string"),
        Field("callbackURL", "string", required=False, max_length=MAX_URL),
        Field("rememberMe", "boolean", required=False),
    )
)

SIGN_OUT = BodySchema(
    (
        Field("callbackURL", "string", required=False),
        Field("disableRedirect", "boolean", required=False),
        Field("state", "string", required=False),
    ),
    optional=True,
)

# --- account flows (better-auth 1.7.25 `api/routes/email-verification.ts`, `password.ts`,
# `update-user.ts`; endpoints.json). Tokens have no length cap here: identity refuses anything
# it never issued without a lookup, with Better-Auth's INVALID_TOKEN.

SEND_VERIFICATION_EMAIL = BodySchema(
    (
        Field("email", "string", email=True, max_length=MAX_EMAIL),
        Field("callbackURL", "string", required=False, max_length=MAX_URL),
    )
)

VERIFY_EMAIL_QUERY = BodySchema(
    (
        Field("token", "string"),
        Field("callbackURL", "string", required=False, max_length=MAX_URL),
    )
)

REQUEST_PASSWORD_RESET = BodySchema(
    (
        Field("email", "string", email=True, max_length=MAX_EMAIL),
        Field("redirectTo", "string", required=False, max_length=MAX_URL),
    )
)

# GET /reset-password/:token: the callbackURL is required.
RESET_PASSWORD_CALLBACK_QUERY = BodySchema((Field("callbackURL", "string", max_length=MAX_URL),))

RESET_PASSWORD = BodySchema(
    (
        Field("newPassword", "string"),
        Field("token", "string", required=False),
    )
)

RESET_PASSWORD_QUERY = BodySchema((Field("token", "string", required=False),), optional=True)

CHANGE_PASSWORD = BodySchema(
    (
        Field("newPassword", "string"),
        Field("currentPassword", "string"),
        Field("revokeOtherSessions", "boolean", required=False),
    )
)

VERIFY_PASSWORD = BodySchema((Field("password", "string"),))

# `z.record(z.string(), z.any())`: any object passes zod; the handler decides.
UPDATE_USER = BodySchema((), shape="record")

# What update-user changes. Better-Auth passes any JSON to its database here (`"name": 5`
# is stored as "5", `"name": null` fails in the database); Authmesh answers zod's message.
UPDATE_USER_FIELDS = BodySchema(
    (
        Field("name", "string", required=False, max_length=MAX_NAME),
        Field("image", "string", required=False, nullable=True, max_length=MAX_URL),
    ),
    shape="record",
)

# update-user: plugin user fields declared `input: false`, in Better-Auth's schema order
# (twoFactor, phoneNumber, admin). A truthy value is FIELD_NOT_ALLOWED; `emailVerified` is no
# input field of update-user at all and is ignored, like any unknown key.
NOT_UPDATABLE_USER_FIELDS = (
    "twoFactorEnabled",
    "phoneNumberVerified",
    "role",
    "banned",
    "banReason",
    "banExpires",
)
