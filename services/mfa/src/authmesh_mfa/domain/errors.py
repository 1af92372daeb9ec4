"""The mfa service's error reasons (domain `mfa`). Reasons and messages are Better-Auth's
twoFactor codes where one exists (`TWO_FACTOR_ERROR_CODES`), so the gateway maps them 1:1."""

from datetime import datetime

from authmesh_kit.errors import DomainError, ErrorKind

DOMAIN = "mfa"


def _error(kind: ErrorKind, reason: str, message: str) -> DomainError:
    return DomainError(kind, reason, DOMAIN, message)


def totp_already_enabled() -> DomainError:
    return _error(ErrorKind.FAILED_PRECONDITION, "TOTP_ALREADY_ENABLED", "TOTP is already enabled")


def totp_not_enabled() -> DomainError:
    return _error(ErrorKind.FAILED_PRECONDITION, "TOTP_NOT_ENABLED", "TOTP not enabled")


def otp_not_enabled() -> DomainError:
    return _error(ErrorKind.FAILED_PRECONDITION, "OTP_NOT_ENABLED", "OTP not enabled")


def two_factor_not_enabled() -> DomainError:
    return _error(
        ErrorKind.FAILED_PRECONDITION, "TWO_FACTOR_NOT_ENABLED", "Two factor isn't enabled"
    )


def backup_codes_not_enabled() -> DomainError:
    return _error(
        ErrorKind.FAILED_PRECONDITION, "BACKUP_CODES_NOT_ENABLED", "Backup codes aren't enabled"
    )


def invalid_challenge() -> DomainError:
    """No live challenge by that id: unknown, expired, used, or its user's factors gone."""
    return _error(
        ErrorKind.UNAUTHENTICATED, "INVALID_TWO_FACTOR_COOKIE", "Invalid two factor cookie"
    )


def invalid_code() -> DomainError:
    return _error(ErrorKind.UNAUTHENTICATED, "INVALID_CODE", "Invalid code")


def invalid_backup_code() -> DomainError:
    return _error(ErrorKind.UNAUTHENTICATED, "INVALID_BACKUP_CODE", "Invalid backup code")


def backup_code_race() -> DomainError:
    """The code was live when looked up, and a concurrent use consumed it first."""
    return _error(
        ErrorKind.FAILED_PRECONDITION,
        "BACKUP_CODE_RACE",
        "Failed to verify backup code. Please try again.",
    )


def otp_expired() -> DomainError:
    """No live mailed code: never sent, expired, or used."""
    return _error(ErrorKind.INVALID_ARGUMENT, "OTP_HAS_EXPIRED", "OTP has expired")


def too_many_attempts() -> DomainError:
    return _error(
        ErrorKind.INVALID_ARGUMENT,
        "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE",
        "Too many attempts. Please request a new code.",
    )


def account_locked(locked_until: datetime, now: datetime) -> DomainError:
    retry_after_s = max(1, int((locked_until - now).total_seconds() + 0.999))
    return DomainError(
        ErrorKind.RESOURCE_EXHAUSTED,
        "ACCOUNT_TEMPORARILY_LOCKED",
        DOMAIN,
        "Too many failed verification attempts. Your account is temporarily locked. "
        "Please try again later.",
        {"retry_after_s": str(retry_after_s)},
    )


def trusted_device_not_found() -> DomainError:
    return _error(ErrorKind.NOT_FOUND, "TRUSTED_DEVICE_NOT_FOUND", "Trusted device not found")
