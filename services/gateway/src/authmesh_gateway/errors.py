"""The one place where service errors become HTTP answers in Better-Auth's format."""

from authmesh_gateway.wire.errors import ApiError
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


def api_error(error: DomainError) -> ApiError:
    if error.reason in _BETTER_AUTH:
        better_auth_status, code = _BETTER_AUTH[error.reason]
        return ApiError.from_code(better_auth_status, code)
    if error.kind in (ErrorKind.UNAVAILABLE, ErrorKind.DEADLINE_EXCEEDED):
        return ApiError(503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable")
    status = _STATUS_BY_KIND.get(error.kind)
    if status is None:
        return ApiError(500, None, None)
    return ApiError(status, error.reason, error.message or error.reason)
