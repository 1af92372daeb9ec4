"""Better-Auth's dynamic access control (organization plugin, better-auth 1.7.25
`routes/crud-access-control.ts`): custom roles per organization, created, updated and deleted at
run time with their own permission statements: create-role, update-role, delete-role,
list-roles and get-role. The peer runs without it; Authmesh has it on (WIRE-NOTES §16).

A role name is kept exactly as given: the org service refuses names it would have to trim or
case-fold (org.proto CreateRole), and nobody puts a permission they lack into a role.
"""

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.org.v1 import org_pb2
from authmesh_gateway.context import context_of
from authmesh_gateway.http_io import read_body
from authmesh_gateway.routes.organization import validated_query
from authmesh_gateway.routes.organization_common import known, org_caller, text
from authmesh_gateway.serialize_org import role_json
from authmesh_gateway.wire.body import JsonValue
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.organization_schemas import (
    CREATE_ROLE,
    DELETE_ROLE,
    ROLE_QUERY,
    UPDATE_ROLE,
    UPDATE_ROLE_DATA,
)
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()


def statements(value: JsonValue, path: str) -> dict[str, list[str]]:
    """`z.record(z.string(), z.array(z.string()))`, with zod's message for the first bad
    entry."""
    assert isinstance(value, dict)  # validated as a record
    found: dict[str, list[str]] = {}
    for resource, actions in value.items():
        if not isinstance(actions, list) or not all(isinstance(each, str) for each in actions):
            raise ApiError.validation(
                f"[{path}.{resource}] Invalid input: expected array of strings"
            )
        found[resource] = [str(each) for each in actions]
    return found


def fill(target: object, permissions: dict[str, list[str]]) -> None:
    """Copies statements into a `map<string, PermissionActions>` field."""
    for resource, actions in permissions.items():
        target[resource].actions.extend(actions)  # type: ignore[index]  # protobuf map


def role_ref(fields: dict[str, JsonValue]) -> org_pb2.RoleRef:
    """`z.union([{roleName}, {roleId}])`, each non-empty: the name wins, as zod's first match."""
    name, role_id = text(fields.get("roleName")), text(fields.get("roleId"))
    if name:
        return org_pb2.RoleRef(role_name=name)
    if role_id:
        return org_pb2.RoleRef(role_id=role_id)
    raise ApiError.validation("[body] Invalid input")


@router.post("/organization/create-role")
async def create_role(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), CREATE_ROLE)
    permission = statements(body["permission"], "body.permission")
    caller = await org_caller(request)
    organization_id = text(body.get("organizationId")) or caller.active_organization_id
    if not organization_id:
        return caller.refuse(known(400, "YOU_MUST_BE_IN_AN_ORGANIZATION_TO_CREATE_A_ROLE"))
    create = org_pb2.CreateRoleRequest(
        actor_user_id=caller.user_id,
        organization_id=organization_id,
        role=str(body["role"]),
        actor=caller.actor(),
    )
    fill(create.permission, permission)
    try:
        role = await ctx.org.create_role(create)
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer(
        {"success": True, "roleData": role_json(role), "statements": role_json(role)["permission"]}
    )


@router.post("/organization/update-role")
async def update_role(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), UPDATE_ROLE)
    data = validate_body(body["data"], UPDATE_ROLE_DATA, source="body.data")
    ref = role_ref(body)
    caller = await org_caller(request)
    update = org_pb2.UpdateRoleRequest(
        actor_user_id=caller.user_id,
        organization_id=caller.organization_id(body.get("organizationId")),
        role=ref,
        new_role_name=text(data.get("roleName")),
        actor=caller.actor(),
    )
    if "permission" in data:
        fill(update.permission.statements, statements(data["permission"], "body.data.permission"))
    try:
        role = await ctx.org.update_role(update)
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer({"success": True, "roleData": role_json(role)})


@router.post("/organization/delete-role")
async def delete_role(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), DELETE_ROLE)
    ref = role_ref(body)
    caller = await org_caller(request)
    try:
        await ctx.org.delete_role(
            org_pb2.DeleteRoleRequest(
                actor_user_id=caller.user_id,
                organization_id=caller.organization_id(body.get("organizationId")),
                role=ref,
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer({"success": True})


@router.get("/organization/list-roles")
async def list_roles(request: Request) -> Response:
    ctx = context_of(request)
    query = validated_query(request, ROLE_QUERY)
    caller = await org_caller(request)
    try:
        found = await ctx.org.list_roles(
            org_pb2.ListRolesRequest(
                actor_user_id=caller.user_id,
                organization_id=caller.organization_id(query.get("organizationId")),
            )
        )
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer([role_json(role) for role in found.roles])


@router.get("/organization/get-role")
async def get_role(request: Request) -> Response:
    ctx = context_of(request)
    query = validated_query(request, ROLE_QUERY)
    ref = role_ref(query)
    caller = await org_caller(request)
    try:
        role = await ctx.org.get_role(
            org_pb2.GetRoleRequest(
                actor_user_id=caller.user_id,
                organization_id=caller.organization_id(query.get("organizationId")),
                role=ref,
            )
        )
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer(role_json(role))
