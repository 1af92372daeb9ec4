"""The one place where service errors become HTTP answers in Better-Auth's format."""

from authmesh_gateway.wire.errors import ApiError, message_for
from authmesh_kit.errors import DomainError, ErrorKind

# Reason codes whose Better-Auth name or status differs from the service's own.
_BETTER_AUTH: dict[str, tuple[int, str]] = {
    "EMAIL_TAKEN": (422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"),
    "INVALID_EMAIL": (400, "INVALID_EMAIL"),
    "PASSWORD_TOO_SHORT": (400, "PASSWORD_TOO_SHORT"),
    "PASSWORD_TOO_LONG": (400, "PASSWORD_TOO_LONG"),
    "INVALID_EMAIL_OR_PASSWORD": (401, "INVALID_EMAIL_OR_PASSWORD"),
    "BANNED_USER": (403, "BANNED_USER"),
    "USER_NOT_FOUND": (404, "USER_NOT_FOUND"),
    # Account flows (api.md §9.1). INVALID_TOKEN is 400 (reset); verify-email answers its
    # token errors itself, as 401 or as a redirect.
    "INVALID_TOKEN": (400, "INVALID_TOKEN"),
    "TOKEN_EXPIRED": (401, "TOKEN_EXPIRED"),
    "EMAIL_NOT_VERIFIED": (403, "EMAIL_NOT_VERIFIED"),
    "EMAIL_MISMATCH": (400, "EMAIL_MISMATCH"),
    "EMAIL_ALREADY_VERIFIED": (400, "EMAIL_ALREADY_VERIFIED"),
    "INVALID_PASSWORD": (400, "INVALID_PASSWORD"),
    "CREDENTIAL_ACCOUNT_NOT_FOUND": (400, "CREDENTIAL_ACCOUNT_NOT_FOUND"),
    # username (api.md §9.6): a malformed name is 400 where it is set; the sign-in and
    # availability routes answer 422 (routes/username.py).
    "USERNAME_IS_ALREADY_TAKEN": (400, "USERNAME_IS_ALREADY_TAKEN"),
    "USERNAME_TOO_SHORT": (400, "USERNAME_TOO_SHORT"),
    "USERNAME_TOO_LONG": (400, "USERNAME_TOO_LONG"),
    "INVALID_USERNAME": (400, "INVALID_USERNAME"),
    "INVALID_USERNAME_OR_PASSWORD": (401, "INVALID_USERNAME_OR_PASSWORD"),
    # phoneNumber (api.md §9.7).
    "INVALID_PHONE_NUMBER": (400, "INVALID_PHONE_NUMBER"),
    "INVALID_PHONE_NUMBER_OR_PASSWORD": (401, "INVALID_PHONE_NUMBER_OR_PASSWORD"),
    "PHONE_NUMBER_EXIST": (400, "PHONE_NUMBER_EXIST"),
    "OTP_NOT_FOUND": (400, "OTP_NOT_FOUND"),
    "OTP_EXPIRED": (400, "OTP_EXPIRED"),
    "INVALID_OTP": (400, "INVALID_OTP"),
    "TOO_MANY_ATTEMPTS": (403, "TOO_MANY_ATTEMPTS"),
    # Password policy and per-account throttling (identity domain/password_throttle.py);
    # the lock carries its end as `X-Retry-After`, like the rate limiter's 429.
    "PASSWORD_COMPROMISED": (400, "PASSWORD_COMPROMISED"),
    "ACCOUNT_TEMPORARILY_LOCKED": (429, "ACCOUNT_TEMPORARILY_LOCKED"),
    "UNEXPECTED_ERROR": (400, "UNEXPECTED_ERROR"),
    # passkey (api.md §9.3). PASSKEY_NOT_FOUND is 401 at verify-authentication and
    # NOT_PASSKEY_OWNER differs per endpoint: routes/passkey.py answers those itself.
    "CHALLENGE_NOT_FOUND": (400, "CHALLENGE_NOT_FOUND"),
    "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY": (
        401,
        "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY",
    ),
    "FAILED_TO_VERIFY_REGISTRATION": (400, "FAILED_TO_VERIFY_REGISTRATION"),
    "AUTHENTICATION_FAILED": (400, "AUTHENTICATION_FAILED"),
    "PASSKEY_NOT_FOUND": (404, "PASSKEY_NOT_FOUND"),
    # twoFactor (api.md §9.2); mfa's reasons are Better-Auth's codes. A lost backup-code race
    # (409, message only) is answered by routes/two_factor.py.
    "INVALID_TWO_FACTOR_COOKIE": (401, "INVALID_TWO_FACTOR_COOKIE"),
    "INVALID_CODE": (401, "INVALID_CODE"),
    "INVALID_BACKUP_CODE": (401, "INVALID_BACKUP_CODE"),
    "TOTP_NOT_ENABLED": (400, "TOTP_NOT_ENABLED"),
    "TOTP_ALREADY_ENABLED": (400, "TOTP_ALREADY_ENABLED"),
    "OTP_NOT_ENABLED": (400, "OTP_NOT_ENABLED"),
    "OTP_HAS_EXPIRED": (400, "OTP_HAS_EXPIRED"),
    "TWO_FACTOR_NOT_ENABLED": (400, "TWO_FACTOR_NOT_ENABLED"),
    "BACKUP_CODES_NOT_ENABLED": (400, "BACKUP_CODES_NOT_ENABLED"),
    "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE": (400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE"),
    # admin (api.md §9.9): identity's reasons are Better-Auth's codes. A taken address is 400
    # there and `data` field errors are zod's: routes/admin.py answers those itself.
    **{
        code: (403, code)
        for code in (
            "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS",
            "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS",
            "YOU_ARE_NOT_ALLOWED_TO_GET_USER",
            "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS",
            "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE",
            "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
            "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL",
            "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER",
            "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD",
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS",
            "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS",
            "YOU_CANNOT_IMPERSONATE_ADMINS",
        )
    },
    **{
        code: (400, code)
        for code in (
            "YOU_CANNOT_BAN_YOURSELF",
            "YOU_CANNOT_REMOVE_YOURSELF",
            "NO_DATA_TO_UPDATE",
            "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER",
            "USER_ID_CANNOT_BE_UPDATED",
            "INVALID_ROLE_TYPE",
            "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE",
        )
    },
}
# Codes whose message is the operator's, set by the service: Better-Auth's `bannedUserMessage`.
_SERVICE_MESSAGES = frozenset({"BANNED_USER"})

_STATUS_BY_KIND = {
    ErrorKind.INVALID_ARGUMENT: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.ALREADY_EXISTS: 409,
    ErrorKind.PERMISSION_DENIED: 403,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FAILED_PRECONDITION: 400,
    ErrorKind.RESOURCE_EXHAUSTED: 429,
}


def _retry_after(error: DomainError) -> dict[str, str] | None:
    seconds = error.metadata.get("retry_after_s")
    return {"X-Retry-After": seconds} if seconds else None


def api_error(error: DomainError) -> ApiError:
    if error.reason in _BETTER_AUTH:
        better_auth_status, code = _BETTER_AUTH[error.reason]
        own = error.reason in _SERVICE_MESSAGES and error.message
        message = error.message if own else message_for(code)
        return ApiError(better_auth_status, code, message, _retry_after(error))
    if error.kind in (ErrorKind.UNAVAILABLE, ErrorKind.DEADLINE_EXCEEDED):
        return ApiError(503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable")
    status = _STATUS_BY_KIND.get(error.kind)
    if status is None:
        return ApiError(500, None, None)
    return ApiError(status, error.reason, error.message or error.reason)
