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
}

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
        return ApiError(better_auth_status, code, message_for(code), _retry_after(error))
    if error.kind in (ErrorKind.UNAVAILABLE, ErrorKind.DEADLINE_EXCEEDED):
        return ApiError(503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable")
    status = _STATUS_BY_KIND.get(error.kind)
    if status is None:
        return ApiError(500, None, None)
    return ApiError(status, error.reason, error.message or error.reason)
