"""Who may do what with the admin endpoints: Better-Auth 1.7.25's admin access control
(`plugins/admin/access/statement.ts`, `has-permission.ts`, `plugins/access/access.ts`), whose
answers clients rely on (`/admin/has-permission`, the SDK's `checkRolePermission`).

A user's `role` is a comma-separated list of role names; a user whose id the operator lists in
`admin_user_ids` may do anything. Role names are exact: a role string is only ever stored when
every name in it is one of `ROLES` (" admin" is no role, and is refused, not stored).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from authmesh_identity.domain.model import User
from authmesh_kit.errors import DomainError, ErrorKind

DOMAIN = "identity"
DEFAULT_ROLE = "user"

# Every action of every resource the admin plugin knows (`defaultStatements`).
STATEMENTS: Mapping[str, frozenset[str]] = {
    "user": frozenset(
        {
            "create",
            "list",
            "set-role",
            "ban",
            "impersonate",
            "impersonate-admins",
            "delete",
            "set-password",
            "set-email",
            "set-phone",
            "get",
            "update",
        }
    ),
    "session": frozenset({"list", "revoke", "delete"}),
}

# The default roles: `admin` may do everything but impersonate other admins; `user` nothing.
ROLES: Mapping[str, Mapping[str, frozenset[str]]] = {
    "admin": {
        "user": STATEMENTS["user"] - {"impersonate-admins"},
        "session": STATEMENTS["session"],
    },
    "user": {"user": frozenset(), "session": frozenset()},
}

Permissions = Sequence[tuple[str, Sequence[str]]]  # (resource, actions), in the caller's order


@dataclass(frozen=True)
class AdminPolicy:
    """The operator's choices (settings.py): Better-Auth's `adminRoles`, `adminUserIds`,
    `allowImpersonatingAdmins` and `bannedUserMessage`."""

    admin_roles: frozenset[str] = frozenset({"admin"})
    admin_user_ids: frozenset[str] = field(default_factory=frozenset)
    allow_impersonating_admins: bool = False
    banned_user_message: str = (
        "You have been banned from this application. "
        "Please contact support if you believe this is an error."
    )


def _role_names(role: str) -> list[str]:
    return (role or DEFAULT_ROLE).split(",")


def _authorizes(statements: Mapping[str, frozenset[str]], permissions: Permissions) -> bool:
    """`role.authorize(request)` with its default AND connector: every resource asked for must
    be one the role has, with every action asked for (an empty action list authorizes
    nothing); an empty request authorizes nothing."""
    if not permissions:
        return False
    for resource, actions in permissions:
        allowed = statements.get(resource)
        if allowed is None or not actions or not all(action in allowed for action in actions):
            return False
    return True


def has_permission(user: User | None, permissions: Permissions, policy: AdminPolicy) -> bool:
    """Better-Auth's `hasPermission`: any of the user's roles grants the whole request."""
    if user is None:
        return False
    if user.id in policy.admin_user_ids:
        return True
    return any(
        _authorizes(ROLES[name], permissions) for name in _role_names(user.role) if name in ROLES
    )


def is_admin(user: User, policy: AdminPolicy) -> bool:
    """Whether impersonating `user` is impersonating an admin."""
    return user.id in policy.admin_user_ids or any(
        name in policy.admin_roles for name in _role_names(user.role)
    )


def role_string(names: Sequence[object]) -> str:
    """The stored form of a role or roles set by an admin: names joined by commas, each one a
    role that exists, spelled exactly. INVALID_ROLE_TYPE for a name that is not a string,
    YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE for an unknown one (or none at all)."""
    if any(not isinstance(name, str) for name in names):
        raise admin_error("INVALID_ROLE_TYPE", "Invalid role type")
    chosen = [str(name) for name in names]
    if not chosen or any(name not in ROLES for name in chosen):
        raise admin_error(
            "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE",
            "You are not allowed to set a non-existent role value",
        )
    return ",".join(dict.fromkeys(chosen))


def admin_error(reason: str, message: str) -> DomainError:
    """A refusal of the admin plugin that is the caller's mistake (a 400)."""
    return DomainError(ErrorKind.INVALID_ARGUMENT, reason, DOMAIN, message)


def not_allowed(reason: str, message: str) -> DomainError:
    """A permission the acting admin lacks (a 403)."""
    return DomainError(ErrorKind.PERMISSION_DENIED, reason, DOMAIN, message)


@dataclass(frozen=True)
class Requirement:
    """One permission an admin endpoint checks, and Better-Auth's refusal when it is missing."""

    resource: str
    action: str
    reason: str
    message: str

    def check(self, admin: User | None, policy: AdminPolicy) -> None:
        if not has_permission(admin, [(self.resource, [self.action])], policy):
            raise not_allowed(self.reason, self.message)


CREATE_USERS = Requirement(
    "user", "create", "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "You are not allowed to create users"
)
LIST_USERS = Requirement(
    "user", "list", "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "You are not allowed to list users"
)
GET_USER = Requirement(
    "user", "get", "YOU_ARE_NOT_ALLOWED_TO_GET_USER", "You are not allowed to get user"
)
UPDATE_USERS = Requirement(
    "user", "update", "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS", "You are not allowed to update users"
)
SET_ROLE = Requirement(
    "user",
    "set-role",
    "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE",
    "You are not allowed to change users role",
)
BAN_USERS = Requirement(
    "user", "ban", "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users"
)
SET_EMAIL = Requirement(
    "user",
    "set-email",
    "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL",
    "You are not allowed to update users email",
)
SET_PHONE = Requirement(
    "user",
    "set-phone",
    "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER",
    "You are not allowed to update users phone number",
)
SET_PASSWORD = Requirement(
    "user",
    "set-password",
    "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD",
    "You are not allowed to set users password",
)
DELETE_USERS = Requirement(
    "user", "delete", "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS", "You are not allowed to delete users"
)
IMPERSONATE_USERS = Requirement(
    "user",
    "impersonate",
    "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS",
    "You are not allowed to impersonate users",
)
IMPERSONATE_ADMINS = Requirement(
    "user", "impersonate-admins", "YOU_CANNOT_IMPERSONATE_ADMINS", "You cannot impersonate admins"
)
