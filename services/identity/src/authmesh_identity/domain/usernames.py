"""Usernames (Better-Auth's username plugin, api.md §9.6): pure rules.

A username is 3 to 30 characters of `[a-zA-Z0-9_.]`, checked as typed and stored lower-cased,
so that `Ada` and `ada` are one name; `displayUsername` keeps the spelling the user chose.
Lengths count UTF-16 units, as Better-Auth's JavaScript does.
"""

import re
from dataclasses import dataclass

from authmesh_identity.domain.errors import DOMAIN
from authmesh_identity.domain.passwords import utf16_length
from authmesh_kit.errors import DomainError, ErrorKind

MIN_LENGTH = 3
MAX_LENGTH = 30
_ALLOWED = re.compile(r"[a-zA-Z0-9_.]+")


def username_too_short() -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT, "USERNAME_TOO_SHORT", DOMAIN, "Username is too short"
    )


def username_too_long() -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT, "USERNAME_TOO_LONG", DOMAIN, "Username is too long"
    )


def invalid_username() -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT, "INVALID_USERNAME", DOMAIN, "Username is invalid"
    )


def username_taken() -> DomainError:
    return DomainError(
        ErrorKind.ALREADY_EXISTS, "USERNAME_IS_ALREADY_TAKEN", DOMAIN, "Username is already taken"
    )


def invalid_username_or_password() -> DomainError:
    return DomainError(
        ErrorKind.UNAUTHENTICATED,
        "INVALID_USERNAME_OR_PASSWORD",
        DOMAIN,
        "Invalid username or password",
    )


# The reasons a username is refused for its form, whatever the flow.
USERNAME_PROBLEMS = frozenset({"USERNAME_TOO_SHORT", "USERNAME_TOO_LONG", "INVALID_USERNAME"})


def username_problem(raw: str) -> DomainError | None:
    """Why `raw` is no username, in Better-Auth's order (length, then characters); None if it is."""
    length = utf16_length(raw)
    if length < MIN_LENGTH:
        return username_too_short()
    if length > MAX_LENGTH:
        return username_too_long()
    if _ALLOWED.fullmatch(raw) is None:
        return invalid_username()
    return None


def normalize_username(raw: str) -> str:
    """The stored form of a valid username; raises its problem otherwise."""
    problem = username_problem(raw)
    if problem is not None:
        raise problem
    return raw.lower()


@dataclass(frozen=True)
class UsernameChoice:
    username: str | None  # normalized
    display_username: str | None


def sign_up_username(username: str | None, display_username: str | None) -> UsernameChoice:
    """A sign-up's names, as Better-Auth's hooks settle them: a display name alone becomes the
    username too when it is a valid one, and a username alone is also the display name."""
    seeds = display_username is not None and username_problem(display_username) is None
    if username is None and seeds:
        username = display_username
    if username is None:
        return UsernameChoice(None, display_username)
    return UsernameChoice(normalize_username(username), display_username or username)
