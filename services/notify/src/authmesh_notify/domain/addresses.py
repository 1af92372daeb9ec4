"""Checks on everything that ends up in a mail header or an SMS request: recipients, the sender
and header text. Pure functions that raise `InvalidRecipientError` (or ValueError for settings).

The stdlib's `EmailMessage` already refuses a header value with CR or LF; these checks make sure
such a value never gets that far, so that no name or address can add a header (RFC 5322 §2.2)
or a recipient, and that the SMTP envelope (RFC 5321 §4.1.2) carries exactly the address the
owning service meant.
"""

import re
from email.headerregistry import Address

from authmesh_notify.domain.errors import InvalidRecipientError

# RFC 5321 §4.5.3.1: 64 octets of local part, 254 of path without the angle brackets.
MAX_LOCAL_PART = 64
MAX_ADDRESS = 254
MAX_HEADER_TEXT = 200
# A dot-atom local part (RFC 5322 §3.2.3, no quoted strings) and a host name of at least two
# labels, ASCII only: what Better-Auth's email validation admits, and nothing that needs quoting.
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}")
# E.164 allows 15 digits; spaces, dashes and parentheses as people type them.
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{4,23}")
_MIN_PHONE_DIGITS = 6
_MAX_PHONE_DIGITS = 15
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
# "Display Name <local@domain>" (the name optionally quoted) or a bare address.
_SENDER = re.compile(
    r'\s*(?:"?(?P<name>[^"<>]*?)"?\s*<(?P<address>[^<>\s]+)>|(?P<bare>[^<>\s]+))\s*'
)


def check_email_address(value: str) -> str:
    """`value` if it is one plain `local@domain` address, else InvalidRecipientError."""
    local, at, domain = value.rpartition("@")
    if (
        not at
        or len(value) > MAX_ADDRESS
        or len(local) > MAX_LOCAL_PART
        or not _LOCAL_PART.fullmatch(local)
        or not _DOMAIN.fullmatch(domain)
    ):
        raise InvalidRecipientError("not a plain email address")
    return value


def check_phone_number(value: str) -> str:
    """`value` if it reads as a phone number (6 to 15 digits), else InvalidRecipientError."""
    digits = sum(char.isdigit() for char in value)
    if not _PHONE.fullmatch(value) or not _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS:
        raise InvalidRecipientError("not a phone number")
    return value


def clean_header_text(value: str, limit: int = MAX_HEADER_TEXT) -> str:
    """Text for a header such as Subject: control characters (CR and LF among them) become
    spaces, runs of white space one space, and the result is cut at `limit` characters."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()[:limit]


def parse_sender(value: str) -> Address:
    """The configured `From` ("Name <addr>" or "addr") as an Address, or ValueError."""
    if _CONTROL.search(value):
        raise ValueError("the sender must not contain control characters")
    match = _SENDER.fullmatch(value)
    if match is None:
        raise ValueError(f"the sender {value!r} is not an address")
    name = match["name"] or ""
    address = match["address"] or match["bare"]
    try:
        check_email_address(address)
    except InvalidRecipientError:
        raise ValueError(f"the sender {value!r} is not a plain address") from None
    local, _, domain = address.rpartition("@")
    return Address(display_name=clean_header_text(name), username=local, domain=domain)


def email_domain(value: str) -> str:
    """The part after the last @, lower-cased: all of a recipient that logs may show."""
    return value.rpartition("@")[2].lower()


def phone_hint(value: str) -> str:
    """The last two digits of a number: all of it that logs may show."""
    digits = "".join(char for char in value if char.isdigit())
    return "**" + digits[-2:]
