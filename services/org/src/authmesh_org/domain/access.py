"""Roles and permission statements (Better-Auth's organization access control, api.md §9.8).

A statement set maps a resource to the actions allowed on it. The pre-defined roles owner,
admin and member hold Better-Auth's default statements; an organization's custom roles
(dynamic access control) hold the statements they were created with, drawn from the known
resources only. A member's role field names one or more roles, comma-separated. Role names are
matched exactly: a name that is not, character for character, a defined role is refused, never
trimmed or case-folded (" owner" or "Owner" must not become owner).
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Statements = Mapping[str, frozenset[str]]

OWNER = "owner"
ADMIN = "admin"
MEMBER = "member"
PREDEFINED_ROLES = (OWNER, ADMIN, MEMBER)
CREATOR_ROLE = OWNER

DEFAULT_STATEMENTS: Statements = {
    "organization": frozenset({"update", "delete"}),
    "member": frozenset({"create", "update", "delete"}),
    "invitation": frozenset({"create", "cancel"}),
    "team": frozenset({"create", "update", "delete"}),
    "ac": frozenset({"create", "read", "update", "delete"}),
}

# A custom role's name: what can sit in a comma-separated role field unambiguously.
ROLE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class AccessControl:
    """The statements this deployment knows and the pre-defined roles' grants."""

    statements: Statements
    predefined: Mapping[str, Statements]

    def unknown_in(self, permissions: Statements) -> list[str]:
        """The `resource:action` pairs of `permissions` that no statement defines."""
        unknown = []
        for resource, actions in permissions.items():
            known = self.statements.get(resource, frozenset())
            unknown += [f"{resource}:{action}" for action in sorted(actions - known)]
            if not actions and resource not in self.statements:
                unknown.append(resource)
        return unknown


def access_control(extra: Statements) -> AccessControl:
    """Default statements plus the deployment's `extra` ones; owners hold all of them, admins
    all but organization:delete, members ac:read (Better-Auth's defaults)."""
    statements: dict[str, frozenset[str]] = dict(DEFAULT_STATEMENTS)
    for resource, actions in extra.items():
        statements[resource] = statements.get(resource, frozenset()) | actions
    admin = dict(statements)
    admin["organization"] = statements["organization"] - {"delete"}
    member: Statements = {"ac": frozenset({"read"})}
    return AccessControl(statements, {OWNER: statements, ADMIN: admin, MEMBER: member})


def split_roles(role_field: str) -> list[str]:
    """The role names of a stored role field ("admin,auditor")."""
    return [name for name in role_field.split(",") if name]


def join_roles(names: Iterable[str]) -> str:
    return ",".join(names)


def unknown_roles(names: Iterable[str], custom: Iterable[str]) -> list[str]:
    """The names that are neither pre-defined nor one of the organization's custom roles."""
    defined = set(PREDEFINED_ROLES) | set(custom)
    return [name for name in names if name not in defined]


def grants(
    access: AccessControl, role_names: Iterable[str], custom: Mapping[str, Statements]
) -> dict[str, frozenset[str]]:
    """The union of what the roles allow; an unknown name allows nothing."""
    granted: dict[str, frozenset[str]] = {}
    for name in role_names:
        statements = access.predefined.get(name)
        if statements is None:
            statements = custom.get(name, {})
        for resource, actions in statements.items():
            granted[resource] = granted.get(resource, frozenset()) | actions
    return granted


def allows(granted: Statements, requested: Statements) -> bool:
    """Every requested action is granted; an empty request (or resource) asks for nothing and
    is refused rather than trivially allowed."""
    if not requested:
        return False
    return all(
        bool(actions) and actions <= granted.get(resource, frozenset())
        for resource, actions in requested.items()
    )


def is_owner(role_field: str) -> bool:
    return OWNER in split_roles(role_field)
