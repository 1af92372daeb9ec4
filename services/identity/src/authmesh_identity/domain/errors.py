"""The identity service's error reasons (domain `identity`)."""

from authmesh_kit.errors import DomainError, ErrorKind

DOMAIN = "identity"


def invalid_email() -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_EMAIL", DOMAIN, "Invalid email")


def password_too_short() -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT, "PASSWORD_TOO_SHORT", DOMAIN, "Password too short"
    )


def password_too_long() -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "PASSWORD_TOO_LONG", DOMAIN, "Password too long")


def email_taken() -> DomainError:
    return DomainError(ErrorKind.ALREADY_EXISTS, "EMAIL_TAKEN", DOMAIN, "User already exists")


def invalid_credentials() -> DomainError:
    return DomainError(
        ErrorKind.UNAUTHENTICATED, "INVALID_EMAIL_OR_PASSWORD", DOMAIN, "Invalid email or password"
    )


def user_not_found() -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, "USER_NOT_FOUND", DOMAIN, "User not found")


def banned_user() -> DomainError:
    return DomainError(ErrorKind.PERMISSION_DENIED, "BANNED_USER", DOMAIN, "User is banned")


def invalid_token() -> DomainError:
    """Unknown, malformed, already used, of another purpose, or no longer matching its user."""
    return DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_TOKEN", DOMAIN, "Invalid token")


def token_expired() -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "TOKEN_EXPIRED", DOMAIN, "Token expired")


def email_not_verified() -> DomainError:
    return DomainError(
        ErrorKind.PERMISSION_DENIED, "EMAIL_NOT_VERIFIED", DOMAIN, "Email not verified"
    )


def email_mismatch() -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "EMAIL_MISMATCH", DOMAIN, "Email mismatch")


def email_already_verified() -> DomainError:
    return DomainError(
        ErrorKind.FAILED_PRECONDITION,
        "EMAIL_ALREADY_VERIFIED",
        DOMAIN,
        "Email is already verified",
    )


def invalid_password() -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_PASSWORD", DOMAIN, "Invalid password")


def credential_account_not_found() -> DomainError:
    return DomainError(
        ErrorKind.FAILED_PRECONDITION,
        "CREDENTIAL_ACCOUNT_NOT_FOUND",
        DOMAIN,
        "Credential account not found",
    )
