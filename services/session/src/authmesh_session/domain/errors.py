"""The session service's error reasons (domain `session`)."""

from authmesh_kit.errors import DomainError, ErrorKind

DOMAIN = "session"


def session_not_found() -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, "SESSION_NOT_FOUND", DOMAIN, "Session not found")


def invalid_token() -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_TOKEN", DOMAIN, "Malformed token")


def invalid_user() -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_USER", DOMAIN, "A user id is required")


def invalid_claims() -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT,
        "INVALID_CLAIMS",
        DOMAIN,
        "The claims must be a JSON object whose id is the session's user",
    )


def invalid_active_id() -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT,
        "INVALID_ACTIVE_ID",
        DOMAIN,
        "An active organization or team id is at most 255 characters",
    )
