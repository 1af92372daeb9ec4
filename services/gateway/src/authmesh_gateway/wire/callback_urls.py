"""The redirect fields that Better-Auth's origin check validates on requests (better-auth
1.7.25 `api/middlewares/origin-check.ts`, WIRE-NOTES §1.3): body key and the label its error
message uses, in the order the middleware checks them. security/csrf.py applies them."""

REDIRECT_FIELDS = (
    ("callbackURL", "callbackURL"),
    ("redirectTo", "redirectURL"),
    ("errorCallbackURL", "errorCallbackURL"),
    ("newUserCallbackURL", "newUserCallbackURL"),
)
