"""Phone numbers (Better-Auth's phoneNumber plugin, api.md §9.7): pure rules and errors.

Better-Auth accepts any string unless the app configures a `phoneNumberValidator`; Authmesh
always validates, and accepts E.164 only (`+`, a country code, at most 15 digits, nothing
else). A number is stored and looked up exactly as submitted, so one spelling per number keeps
`+1 555…` and `+1555…` from becoming two accounts, and SMS goes to what the user typed.
"""

import re

from authmesh_identity.domain import errors
from authmesh_identity.domain.errors import DOMAIN
from authmesh_identity.domain.one_time_codes import CodeOutcome
from authmesh_kit.errors import DomainError, ErrorKind

# ITU-T E.164: a country code never starts with 0; the whole number has at most 15 digits.
# Seven is the shortest national significant number plus country code in use.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def is_phone_number(value: str) -> bool:
    return _E164.fullmatch(value) is not None


def invalid_phone_number() -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT, "INVALID_PHONE_NUMBER", DOMAIN, "Invalid phone number"
    )


def phone_number_exists() -> DomainError:
    return DomainError(
        ErrorKind.ALREADY_EXISTS, "PHONE_NUMBER_EXIST", DOMAIN, "Phone number already exists"
    )


def invalid_phone_number_or_password() -> DomainError:
    return DomainError(
        ErrorKind.UNAUTHENTICATED,
        "INVALID_PHONE_NUMBER_OR_PASSWORD",
        DOMAIN,
        "Invalid phone number or password",
    )


def check_phone_number(value: str) -> str:
    """`value` when it is an E.164 number; INVALID_PHONE_NUMBER otherwise."""
    if not is_phone_number(value):
        raise invalid_phone_number()
    return value


def placeholder_email(phone_number: str, domain: str) -> str:
    """The address of a user who signed up by phone: the number's digits at a domain that
    receives no mail (Better-Auth's getTempEmail)."""
    digits = "".join(char for char in phone_number if char.isdigit())
    return f"{digits}@{domain}"


def is_placeholder_email(email: str, domain: str) -> bool:
    return email.endswith(f"@{domain}")


def code_error(outcome: CodeOutcome) -> DomainError:
    """Better-Auth's answer to a phone code that did not pass (any outcome but VALID)."""
    return errors.code_error(outcome, unknown=("OTP_NOT_FOUND", "OTP not found"))


def unexpected_error() -> DomainError:
    """Better-Auth's answer to a reset code for a number no user has any more."""
    return DomainError(
        ErrorKind.FAILED_PRECONDITION, "UNEXPECTED_ERROR", DOMAIN, "Unexpected error"
    )
