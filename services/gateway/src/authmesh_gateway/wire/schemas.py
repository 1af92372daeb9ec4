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
        # The username plugin's field, capped like the name (Better-Auth stores any value as
        # text); `username` itself is left to the handler, as Better-Auth does (422).
        Field("displayUsername", "string", required=False, nullable=True, max_length=MAX_NAME),
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

# better-auth 1.7.25 `api/routes/update-user.ts` (changeEmail, deleteUser, deleteUserCallback).
CHANGE_EMAIL = BodySchema(
    (
        Field("newEmail", "string", email=True, max_length=MAX_EMAIL),
        Field("callbackURL", "string", required=False, max_length=MAX_URL),
    )
)

DELETE_USER = BodySchema(
    (
        Field("callbackURL", "string", required=False, max_length=MAX_URL),
        Field("password", "string", required=False),
        Field("token", "string", required=False),
    )
)

DELETE_USER_CALLBACK_QUERY = BodySchema(
    (
        Field("token", "string"),
        Field("callbackURL", "string", required=False, max_length=MAX_URL),
    )
)

# `z.record(z.string(), z.any())`: any object passes zod; the handler decides.
UPDATE_USER = BodySchema((), shape="record")

# What update-user changes. Better-Auth passes any JSON to its database here (`"name": 5`
# is stored as "5", `"name": null` fails in the database); Authmesh answers zod's message.
UPDATE_USER_FIELDS = BodySchema(
    (
        Field("name", "string", required=False, max_length=MAX_NAME),
        Field("image", "string", required=False, nullable=True, max_length=MAX_URL),
        Field("username", "string", required=False, nullable=True),
        Field("displayUsername", "string", required=False, nullable=True, max_length=MAX_NAME),
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

# --- username plugin (better-auth 1.7.25 `plugins/username/index.ts`). A username's form is
# identity's rule (USERNAME_TOO_SHORT, …), never zod's.

SIGN_IN_USERNAME = BodySchema(
    (
        Field("username", "string"),
        Field("password", "string"),
        Field("rememberMe", "boolean", required=False),
        Field("callbackURL", "string", required=False, max_length=MAX_URL),
    )
)

IS_USERNAME_AVAILABLE = BodySchema((Field("username", "string"),))

# --- phoneNumber plugin (`plugins/phone-number/routes.ts`). A number's form is identity's rule
# (E.164, INVALID_PHONE_NUMBER).

SIGN_IN_PHONE_NUMBER = BodySchema(
    (
        Field("phoneNumber", "string"),
        Field("password", "string"),
        Field("rememberMe", "boolean", required=False),
    )
)

SEND_PHONE_NUMBER_OTP = BodySchema((Field("phoneNumber", "string"),))

# `.and(z.record(z.string(), z.any()))`: extra user fields pass zod (and are ignored).
VERIFY_PHONE_NUMBER = BodySchema(
    (
        Field("phoneNumber", "string"),
        Field("code", "string"),
        Field("disableSession", "boolean", required=False),
        Field("updatePhoneNumber", "boolean", required=False),
    ),
    shape="object_and_record",
)

REQUEST_PHONE_PASSWORD_RESET = BodySchema((Field("phoneNumber", "string"),))

RESET_PHONE_PASSWORD = BodySchema(
    (
        Field("otp", "string"),
        Field("phoneNumber", "string"),
        Field("newPassword", "string"),
    )
)

# --- sessions (better-auth 1.7.25 `api/routes/session.ts`, `update-session.ts`).

REVOKE_SESSION = BodySchema((Field("token", "string"),))

# `z.record(z.string(), z.any())`: the handler decides which fields it takes.
UPDATE_SESSION = BodySchema((), shape="record")

# Session fields of the organization and admin plugins, declared `input: false`, in Better-Auth's
# schema order: a truthy value is FIELD_NOT_ALLOWED. Authmesh configures no session field a
# client may set, so anything else leaves "No fields to update".
NOT_UPDATABLE_SESSION_FIELDS = ("activeOrganizationId", "activeTeamId", "impersonatedBy")

# --- emailOTP plugin (better-auth 1.7.25 `plugins/email-otp/routes.ts`). Addresses are plain
# strings to zod: the handlers answer a malformed one with INVALID_EMAIL (or, on sign-in, with
# INVALID_OTP: no code was ever sent to it). Codes have no length cap here: a wrong one is a
# counted guess, whatever its length.

OTP_TYPES = ("email-verification", "sign-in", "forget-password", "change-email")

SEND_VERIFICATION_OTP = BodySchema(
    (
        Field("email", "string", max_length=MAX_EMAIL),
        Field("type", "string", choices=OTP_TYPES),
    )
)

CHECK_VERIFICATION_OTP = BodySchema(
    (
        Field("email", "string", max_length=MAX_EMAIL),
        Field("type", "string", choices=OTP_TYPES),
        Field("otp", "string"),
    )
)

VERIFY_EMAIL_OTP = BodySchema(
    (
        Field("email", "string", max_length=MAX_EMAIL),
        Field("otp", "string"),
    )
)

# `.and(z.record(z.string(), z.any()))`: extra user fields pass zod (and are ignored).
SIGN_IN_EMAIL_OTP = BodySchema(
    (
        Field("email", "string", max_length=MAX_EMAIL),
        Field("otp", "string"),
        Field("name", "string", required=False, max_length=MAX_NAME),
        Field("image", "string", required=False, max_length=MAX_URL),
    ),
    shape="object_and_record",
)

REQUEST_PASSWORD_RESET_EMAIL_OTP = BodySchema((Field("email", "string", max_length=MAX_EMAIL),))

RESET_PASSWORD_EMAIL_OTP = BodySchema(
    (
        Field("email", "string", max_length=MAX_EMAIL),
        Field("otp", "string"),
        Field("password", "string"),
    )
)

REQUEST_EMAIL_CHANGE_EMAIL_OTP = BodySchema(
    (
        Field("newEmail", "string", max_length=MAX_EMAIL),
        Field("otp", "string", required=False),
    )
)

CHANGE_EMAIL_EMAIL_OTP = BodySchema(
    (
        Field("newEmail", "string", max_length=MAX_EMAIL),
        Field("otp", "string"),
    )
)

# --- magicLink plugin (`plugins/magic-link/index.ts`).

SIGN_IN_MAGIC_LINK = BodySchema(
    (
        Field("email", "string", email=True, max_length=MAX_EMAIL),
        Field("name", "string", required=False, max_length=MAX_NAME),
        Field("callbackURL", "string", required=False, max_length=MAX_URL),
        Field("newUserCallbackURL", "string", required=False, max_length=MAX_URL),
        Field("errorCallbackURL", "string", required=False, max_length=MAX_URL),
        Field("metadata", "record", required=False),
    )
)

MAGIC_LINK_VERIFY_QUERY = BodySchema(
    (
        Field("token", "string"),
        Field("callbackURL", "string", required=False, max_length=MAX_URL),
        Field("errorCallbackURL", "string", required=False, max_length=MAX_URL),
        Field("newUserCallbackURL", "string", required=False, max_length=MAX_URL),
    )
)

# --- passkey plugin (@better-auth/passkey 1.7.6 `routes.ts`). Names are trimmed before these
# checks (zod's `.trim()`); the WebAuthn responses are the mfa service's to judge.

PASSKEY_REGISTER_OPTIONS_QUERY = BodySchema(
    (
        Field(
            "authenticatorAttachment",
            "string",
            required=False,
            choices=("platform", "cross-platform"),
        ),
        Field("name", "string", required=False, max_length=MAX_NAME),
        Field("context", "string", required=False, max_length=MAX_NAME),
    ),
    optional=True,
)

VERIFY_PASSKEY_REGISTRATION = BodySchema(
    (
        Field("response", "any"),
        Field("name", "string", required=False, max_length=MAX_NAME),
        Field("createSession", "boolean", required=False),
    )
)

VERIFY_PASSKEY_AUTHENTICATION = BodySchema((Field("response", "record"),))

UPDATE_PASSKEY = BodySchema(
    (
        Field("id", "string", max_length=MAX_NAME),
        Field("name", "string", min_length=1, max_length=MAX_NAME),
    )
)

DELETE_PASSKEY = BodySchema((Field("id", "string", max_length=MAX_NAME),))

# --- twoFactor plugin (better-auth 1.7.25 `plugins/two-factor`, api.md §9.2). Codes are capped
# like names: nothing longer was ever issued.

ENABLE_TWO_FACTOR = BodySchema(
    (
        Field("password", "string"),
        Field("method", "string", required=False, choices=("otp", "totp")),
        Field("issuer", "string", required=False, max_length=MAX_NAME),
    )
)

# disable, get-totp-uri and generate-backup-codes.
TWO_FACTOR_PASSWORD = BodySchema((Field("password", "string"),))

VERIFY_TWO_FACTOR_CODE = BodySchema(
    (
        Field("code", "string", max_length=MAX_NAME),
        Field("trustDevice", "boolean", required=False),
    )
)

VERIFY_BACKUP_CODE = BodySchema(
    (
        Field("code", "string", max_length=MAX_NAME),
        Field("disableSession", "boolean", required=False),
        Field("trustDevice", "boolean", required=False),
    )
)

SEND_TWO_FACTOR_OTP = BodySchema((Field("trustDevice", "boolean", required=False),), optional=True)

# GET /api/two-factor/qr (an Authmesh extra): the image format.
TWO_FACTOR_QR_QUERY = BodySchema(
    (Field("format", "string", required=False, choices=("svg", "png")),), optional=True
)

# --- admin plugin (better-auth 1.7.25 `plugins/admin/routes.ts`). `userId` is
# `z.coerce.string()`: any value but none passes ("any"), and the route takes `String(value)`.

MAX_BAN_REASON = 1024
WHERE_OPERATORS = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "ends_with",
)

ADMIN_USER_ID = BodySchema((Field("userId", "any"),))

LIST_USERS_QUERY = BodySchema(
    (
        Field("searchValue", "string", required=False),
        Field("searchField", "string", required=False, choices=("email", "name")),
        Field(
            "searchOperator",
            "string",
            required=False,
            choices=("contains", "starts_with", "ends_with"),
        ),
        Field("limit", "union", required=False, accepts=("string", "number")),
        Field("offset", "union", required=False, accepts=("string", "number")),
        Field("sortBy", "string", required=False),
        Field("sortDirection", "string", required=False, choices=("asc", "desc")),
        Field("filterField", "string", required=False),
        Field(
            "filterValue",
            "union",
            required=False,
            accepts=("string", "number", "boolean", "strings", "numbers"),
        ),
        Field("filterOperator", "string", required=False, choices=WHERE_OPERATORS),
    ),
    optional=True,
)

GET_USER_QUERY = BodySchema((Field("id", "string"),))

# The address's form is the handler's check (INVALID_EMAIL), not zod's.
CREATE_USER = BodySchema(
    (
        Field("email", "string", max_length=MAX_EMAIL),
        Field("password", "string", required=False),
        Field("name", "string", max_length=MAX_NAME),
        Field("role", "union", required=False, accepts=("string", "strings")),
        Field("data", "record", required=False),
    )
)

ADMIN_UPDATE_USER = BodySchema((Field("userId", "any"), Field("data", "record")))

SET_ROLE = BodySchema(
    (Field("userId", "any"), Field("role", "union", accepts=("string", "strings")))
)

SET_USER_PASSWORD = BodySchema(
    (
        Field(
            "newPassword", "string", min_length=1, too_small_message="newPassword cannot be empty"
        ),
        Field("userId", "any", min_length=1, too_small_message="userId cannot be empty"),
    )
)

BAN_USER = BodySchema(
    (
        Field("userId", "any"),
        Field("banReason", "string", required=False, max_length=MAX_BAN_REASON),
        Field("banExpiresIn", "number", required=False),
    )
)

REVOKE_USER_SESSION = BodySchema((Field("sessionToken", "string"),))

# has-permission: `z.object({userId: z.coerce.string().optional(), role: z.string().optional()})`
# `.and(z.xor([{permission: record}, {permissions: record}]))`; routes/admin.py checks the xor.
HAS_PERMISSION = BodySchema(
    (Field("userId", "any", required=False), Field("role", "string", required=False))
)
