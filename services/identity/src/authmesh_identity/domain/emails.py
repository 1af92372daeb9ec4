"""Email addresses as identity stores them: trimmed, lower-cased, syntactically valid."""

from email_validator import EmailNotValidError, validate_email

from authmesh_identity.domain.errors import invalid_email

MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit


def normalize_email(raw: str) -> str:
    """Better-Auth lower-cases the whole address, so lookups must too."""
    email = raw.strip().lower()
    if not email or len(email) > MAX_EMAIL_LENGTH:
        raise invalid_email()
    try:
        # Syntax only, like Better-Auth's zod check; reserved test domains (.test) stay usable.
        validate_email(
            email,
            check_deliverability=False,
            allow_smtputf8=True,
            test_environment=True,
            globally_deliverable=False,
        )
    except EmailNotValidError:
        raise invalid_email() from None
    return email
