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
