"""What an admin may set on a user (create-user's and update-user's `data`, api.md §9.9), checked
in Better-Auth 1.7.25's order (`plugins/admin/routes.ts`): the permissions each group of fields
needs, then the fields themselves.

`data` is a JSON object as the admin sent it. Only the fields below are taken, each read as its
type (a wrong type is INVALID_USER_FIELD, where Better-Auth hands any JSON to its database);
unknown keys are ignored, as Better-Auth ignores them. The result maps users columns, never
names from the request, to checked values.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from authmesh_identity.domain.admin_permissions import (
    BAN_USERS,
    CREATE_USERS,
    SET_EMAIL,
    SET_PHONE,
    SET_ROLE,
    UPDATE_USERS,
    AdminPolicy,
    admin_error,
    role_string,
)
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import DOMAIN
from authmesh_identity.domain.model import User
from authmesh_identity.domain.phone_numbers import check_phone_number
from authmesh_identity.domain.usernames import normalize_username, sign_up_username
from authmesh_kit.errors import DomainError, ErrorKind

MAX_TEXT = 256  # names, display names: as the gateway caps them elsewhere
MAX_URL = 2048
MAX_BAN_REASON = 1024
BAN_FIELDS = ("banned", "banReason", "banExpires")


def invalid_user_field(field: str, expected: str, value: Any) -> DomainError:
    """A `data` field of the wrong type; the gateway words it as zod would."""
    return DomainError(
        ErrorKind.INVALID_ARGUMENT,
        "INVALID_USER_FIELD",
        DOMAIN,
        f"{field} must be {expected}",
        {"field": field, "expected": expected, "received": json_type(value)},
    )


def user_field_too_long(field: str, max_length: int) -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT,
        "USER_FIELD_TOO_LONG",
        DOMAIN,
        f"{field} is longer than {max_length} characters",
        {"field": field, "max_length": str(max_length)},
    )


def json_type(value: Any) -> str:
    """What JSON calls the type of a decoded value (zod's `received`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _text(max_length: int, *, nullable: bool) -> Callable[[str, Any], str | None]:
    def read(field: str, value: Any) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise invalid_user_field(field, "string", value)
        if len(value) > max_length:
            raise user_field_too_long(field, max_length)
        return value

    return read


def _boolean(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise invalid_user_field(field, "boolean", value)
    return value


def _date(field: str, value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        stamp = datetime.fromisoformat(value) if isinstance(value, str) else None
        if stamp is not None:
            return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # not a date, or one beyond year 1..9999 in UTC
        pass
    raise invalid_user_field(field, "date", value)


def _username(field: str, value: Any) -> str | None:
    raw = _text(MAX_TEXT, nullable=True)(field, value)
    return None if raw is None else normalize_username(raw)


def _phone_number(field: str, value: Any) -> str | None:
    raw = _text(MAX_TEXT, nullable=True)(field, value)
    return None if raw is None else check_phone_number(raw)


# Better-Auth's name → (users column, reader).
_FIELDS: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
    "name": ("name", _text(MAX_TEXT, nullable=False)),
    "image": ("image", _text(MAX_URL, nullable=True)),
    "emailVerified": ("email_verified", _boolean),
    "username": ("username", _username),
    "displayUsername": ("display_username", _text(MAX_TEXT, nullable=True)),
    "phoneNumber": ("phone_number", _phone_number),
    "phoneNumberVerified": ("phone_number_verified", _boolean),
    "banned": ("banned", _boolean),
    "banReason": ("ban_reason", _text(MAX_BAN_REASON, nullable=True)),
    "banExpires": ("ban_expires", _date),
}
# What create-user takes from `data`: its body carries the email, name and role, and a phone
# number is only ever set verified by its owner or by update-user (Better-Auth drops it too).
_CREATE_FIELDS = ("image", "emailVerified", "displayUsername", "banned", "banReason", "banExpires")


@dataclass(frozen=True)
class UserChanges:
    """Checked column values for the users table."""

    values: Mapping[str, Any]

    @property
    def bans(self) -> bool:
        return self.values.get("banned") is True

    @property
    def unbans(self) -> bool:
        return self.values.get("banned") is False


def _read_fields(data: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    values = {}
    for name in names:
        if name in data:
            column, read = _FIELDS[name]
            values[column] = read(name, data[name])
    return values


def creation_changes(
    admin: User | None,
    data: Mapping[str, Any],
    requested_roles: list[Any] | None,
    policy: AdminPolicy,
) -> UserChanges:
    """create-user's checks up to the address: the permissions, the role, then `data`.
    `requested_roles`: the body's `role` (as a list), or None when it has none; `data`'s own
    `role` stands in for a missing one, as in Better-Auth."""
    CREATE_USERS.check(admin, policy)
    if requested_roles is None and "role" in data:
        role = data["role"]
        requested_roles = role if isinstance(role, list) else [role]
    values: dict[str, Any] = {}
    if requested_roles is not None:
        SET_ROLE.check(admin, policy)
        values["role"] = role_string(requested_roles)
    if any(name in data for name in BAN_FIELDS):
        BAN_USERS.check(admin, policy)
    values |= _read_fields(data, _CREATE_FIELDS)
    if "username" in data or "displayUsername" in data:
        username = _text(MAX_TEXT, nullable=True)("username", data.get("username"))
        names = sign_up_username(username, values.get("display_username"))
        values |= {"username": names.username, "display_username": names.display_username}
    return UserChanges(values)


def update_changes(
    admin: User | None, user_id: str, data: Mapping[str, Any], policy: AdminPolicy
) -> UserChanges:
    """update-user's checks, in Better-Auth's order; USER_NOT_FOUND and a taken address are the
    store's to find."""
    UPDATE_USERS.check(admin, policy)
    if not data:
        raise admin_error("NO_DATA_TO_UPDATE", "No data to update")
    if "password" in data:
        raise admin_error(
            "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER",
            "Password cannot be updated through update-user. "
            "Use the set-user-password endpoint instead",
        )
    if "id" in data:
        raise admin_error("USER_ID_CANNOT_BE_UPDATED", "User id cannot be updated")
    values: dict[str, Any] = {}
    if "role" in data:
        SET_ROLE.check(admin, policy)
        role = data["role"]
        values["role"] = role_string(role if isinstance(role, list) else [role])
    if any(name in data for name in BAN_FIELDS):
        BAN_USERS.check(admin, policy)
        if data.get("banned") is True and admin is not None and user_id == admin.id:
            raise admin_error("YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself")
    if "email" in data or "emailVerified" in data:
        SET_EMAIL.check(admin, policy)
        if "email" in data:
            email = data["email"]
            values["email"] = normalize_email(email if isinstance(email, str) else "")
    if "phoneNumber" in data or "phoneNumberVerified" in data:
        SET_PHONE.check(admin, policy)
    values |= _read_fields(data, tuple(name for name in _FIELDS if name in data))
    return UserChanges(values)
