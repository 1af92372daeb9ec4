"""The body of Better-Auth's two has-permission endpoints (admin and organization): an object
part, then exactly one of the legacy `permission` and `permissions`, each
`z.record(z.string(), z.array(z.string()))`, refused with zod's messages."""

from typing import Any

from authmesh_gateway.wire.body import Body, JsonValue
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.validation import validate_body

# resource → actions, in the caller's order
PermissionMap = dict[str, list[str]]


def _permission_map(value: JsonValue | None) -> PermissionMap | None:
    if not isinstance(value, dict):
        return None
    found: PermissionMap = {}
    for resource, actions in value.items():
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            return None
        found[resource] = [str(action) for action in actions]
    return found


def permission_options(
    body: Body, schema: Any
) -> tuple[dict[str, JsonValue], PermissionMap | None, PermissionMap | None]:
    """The validated fields, the legacy `permission` and `permissions`: exactly one of the two
    is set, else 400 with every issue found, as zod reports them together."""
    issues = []
    fields: dict[str, JsonValue] = {}
    try:
        fields = validate_body(body, schema)
    except ApiError as error:
        issues.append(error.message or "")
    legacy, permissions = (
        _permission_map(fields.get(key)) for key in ("permission", "permissions")
    )
    if legacy is None and permissions is None:
        issues.append("[body] Invalid input")
    elif legacy is not None and permissions is not None:
        issues.append("[body] Invalid input: more than one option matched")
    if issues:
        raise ApiError.validation("; ".join(issues))
    return fields, legacy, permissions
