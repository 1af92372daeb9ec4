"""The identity service's error reasons (domain `identity`)."""

from authmesh_identity.domain.one_time_codes import CodeOutcome
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


def banned_user(message: str) -> DomainError:
    """`message` is the operator's (Better-Auth's `bannedUserMessage`): the gateway answers it."""
    return DomainError(ErrorKind.PERMISSION_DENIED, "BANNED_USER", DOMAIN, message)


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


def email_unchanged() -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "EMAIL_UNCHANGED", DOMAIN, "Email is the same")


def invalid_user() -> DomainError:
    """A link opened in the session of a user it was not sent to."""
    return DomainError(ErrorKind.PERMISSION_DENIED, "INVALID_USER", DOMAIN, "Invalid user")


def credential_account_not_found() -> DomainError:
    return DomainError(
        ErrorKind.FAILED_PRECONDITION,
        "CREDENTIAL_ACCOUNT_NOT_FOUND",
        DOMAIN,
        "Credential account not found",
    )


def password_compromised() -> DomainError:
    """On the bundled blocklist; Better-Auth's haveIBeenPwned plugin code and message."""
    return DomainError(
        ErrorKind.INVALID_ARGUMENT,
        "PASSWORD_COMPROMISED",
        DOMAIN,
        "The password you entered has been compromised. Please choose a different password.",
    )


def password_too_weak() -> DomainError:
    """The stricter policy's composition rule (AUTHMESH_PASSWORD_POLICY=strict)."""
    return DomainError(
        ErrorKind.INVALID_ARGUMENT,
        "PASSWORD_TOO_WEAK",
        DOMAIN,
        "Password must contain an upper-case letter, a lower-case letter, a digit and a symbol",
    )


def account_temporarily_locked(retry_after_s: int) -> DomainError:
    """Too many consecutive wrong passwords: refused unchecked until the lock ends. Better-Auth's
    code and message for its two-factor lockout; the gateway sends `X-Retry-After`."""
    return DomainError(
        ErrorKind.RESOURCE_EXHAUSTED,
        "ACCOUNT_TEMPORARILY_LOCKED",
        DOMAIN,
        "Too many failed verification attempts. Your account is temporarily locked. "
        "Please try again later.",
        {"retry_after_s": str(retry_after_s)},
    )


def password_attempts_exhausted() -> DomainError:
    """The NIST limit of consecutive failures reached: the password works again only after a
    reset (NIST SP 800-63B §3.2.2: the authenticator is disabled until re-bound)."""
    return DomainError(
        ErrorKind.RESOURCE_EXHAUSTED,
        "TOO_MANY_ATTEMPTS_RESET_PASSWORD",
        DOMAIN,
        "Too many failed attempts. Please reset your password.",
    )


def code_error(
    outcome: CodeOutcome, *, unknown: tuple[str, str] = ("INVALID_OTP", "Invalid OTP")
) -> DomainError:
    """Better-Auth's answer to a one-time code that did not pass (any outcome but VALID).
    `unknown` is the reason and message for a code never sent or already spent: emailOTP calls
    it an invalid code, phoneNumber OTP_NOT_FOUND."""
    if outcome is CodeOutcome.TOO_MANY_ATTEMPTS:
        return DomainError(
            ErrorKind.PERMISSION_DENIED, "TOO_MANY_ATTEMPTS", DOMAIN, "Too many attempts"
        )
    if outcome is CodeOutcome.EXPIRED:
        return DomainError(ErrorKind.INVALID_ARGUMENT, "OTP_EXPIRED", DOMAIN, "OTP expired")
    reason, message = (
        unknown if outcome is CodeOutcome.NOT_FOUND else ("INVALID_OTP", "Invalid OTP")
    )
    return DomainError(ErrorKind.INVALID_ARGUMENT, reason, DOMAIN, message)


def too_many_users_requested(limit: int) -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT,
        "TOO_MANY_USERS_REQUESTED",
        DOMAIN,
        f"At most {limit} user ids and {limit} emails per lookup",
    )
