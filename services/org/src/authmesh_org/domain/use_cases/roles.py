"""Custom roles per organization (Better-Auth's dynamic access control): created, renamed,
re-granted and deleted at run time, drawn from the known statements only. No one grants what
they do not hold: a role's statements must be within its author's own grants."""

from dataclasses import dataclass

from authmesh.org.v1 import org_pb2
from authmesh_kit.events import catalogue
from authmesh_kit.ids import new_id
from authmesh_org.domain import access
from authmesh_org.domain.access import Statements
from authmesh_org.domain.errors import INVALID_ROLE_NAME, invalid, org_error
from authmesh_org.domain.events import org_event
from authmesh_org.domain.model import CustomRole, Member
from authmesh_org.domain.ports import OrgTransaction, OrgUnitOfWork
from authmesh_org.domain.use_cases.common import (
    Caller,
    OrgContext,
    locked_membership,
    membership,
    require,
)


@dataclass(frozen=True)
class RoleRef:
    role_id: str = ""
    role_name: str = ""


def _check_name(name: str) -> str:
    if not access.ROLE_NAME.match(name):
        raise invalid(INVALID_ROLE_NAME, "role name must be 1 to 64 letters, digits, '_' or '-'")
    if name in access.PREDEFINED_ROLES:
        raise org_error("ROLE_NAME_IS_ALREADY_TAKEN")
    return name


def _check_statements(
    ctx: OrgContext, granted: Statements, permission: Statements, refusal: str
) -> None:
    if ctx.access.unknown_in(permission):
        raise org_error("INVALID_RESOURCE")
    for resource, actions in permission.items():
        if not actions <= granted.get(resource, frozenset()):
            raise org_error(refusal)


async def _find(tx: OrgTransaction, organization_id: str, ref: RoleRef) -> CustomRole:
    role = None
    if ref.role_id:
        role = await tx.role_by_id(organization_id, ref.role_id)
    elif ref.role_name:
        role = await tx.role_by_name(organization_id, ref.role_name)
    if role is None:
        raise org_error("ROLE_NOT_FOUND")
    return role


async def create_role(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    organization_id: str,
    name: str,
    permission: Statements,
) -> CustomRole:
    refusal = "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE"
    async with uow.begin() as tx:
        _, actor = await locked_membership(tx, organization_id, caller.user_id)
        granted = await require(tx, ctx, actor, {"ac": frozenset({"create"})}, refusal)
        _check_name(name)
        _check_statements(ctx, granted, permission, refusal)
        if await tx.count_roles(organization_id) >= ctx.policy.maximum_roles:
            raise org_error("TOO_MANY_ROLES")
        now = await tx.now()
        role = CustomRole(new_id(), organization_id, name, dict(permission), now, now)
        if not await tx.insert_role(role):
            raise org_error("ROLE_NAME_IS_ALREADY_TAKEN")
        await tx.add_events(
            org_event(
                catalogue.ROLE_CREATED,
                org_pb2.RoleCreated(organization_id=organization_id, role_id=role.id, role=name),
                organization_id=organization_id,
                actor=caller.actor,
            )
        )
    return role


async def update_role(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    organization_id: str,
    ref: RoleRef,
    *,
    new_name: str | None,
    permission: Statements | None,
) -> CustomRole:
    refusal = "YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE"
    async with uow.begin() as tx:
        _, actor = await locked_membership(tx, organization_id, caller.user_id)
        granted = await require(tx, ctx, actor, {"ac": frozenset({"update"})}, refusal)
        role = await _find(tx, organization_id, ref)
        name = role.role if new_name is None or new_name == role.role else _check_name(new_name)
        if permission is not None:
            _check_statements(ctx, granted, permission, refusal)
        updated = await tx.update_role(
            role.id, name, role.permission if permission is None else dict(permission)
        )
        if updated is None:
            raise org_error("ROLE_NAME_IS_ALREADY_TAKEN")
        if name != role.role:
            await tx.rename_role_holders(organization_id, role.role, name)
        await tx.add_events(
            org_event(
                catalogue.ROLE_UPDATED,
                org_pb2.RoleUpdated(
                    organization_id=organization_id,
                    role_id=role.id,
                    role=name,
                    old_role=role.role,
                ),
                organization_id=organization_id,
                actor=caller.actor,
            )
        )
    return updated


async def delete_role(
    uow: OrgUnitOfWork, ctx: OrgContext, caller: Caller, organization_id: str, ref: RoleRef
) -> None:
    refusal = "YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE"
    async with uow.begin() as tx:
        _, actor = await locked_membership(tx, organization_id, caller.user_id)
        await require(tx, ctx, actor, {"ac": frozenset({"delete"})}, refusal)
        if ref.role_name in access.PREDEFINED_ROLES:
            raise org_error("CANNOT_DELETE_A_PRE_DEFINED_ROLE")
        role = await _find(tx, organization_id, ref)
        if await tx.role_is_held(organization_id, role.role):
            raise org_error("ROLE_IS_ASSIGNED_TO_MEMBERS")
        await tx.delete_role(role.id)
        await tx.add_events(
            org_event(
                catalogue.ROLE_DELETED,
                org_pb2.RoleDeleted(
                    organization_id=organization_id, role_id=role.id, role=role.role
                ),
                organization_id=organization_id,
                actor=caller.actor,
            )
        )


async def _reader(
    tx: OrgTransaction, ctx: OrgContext, caller: Caller, organization_id: str, refusal: str
) -> Member:
    actor = await membership(tx, organization_id, caller.user_id)
    await require(tx, ctx, actor, {"ac": frozenset({"read"})}, refusal)
    return actor


async def list_roles(
    uow: OrgUnitOfWork, ctx: OrgContext, caller: Caller, organization_id: str
) -> list[CustomRole]:
    async with uow.begin() as tx:
        await _reader(tx, ctx, caller, organization_id, "YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE")
        return await tx.roles_of(organization_id)


async def get_role(
    uow: OrgUnitOfWork, ctx: OrgContext, caller: Caller, organization_id: str, ref: RoleRef
) -> CustomRole:
    async with uow.begin() as tx:
        await _reader(tx, ctx, caller, organization_id, "YOU_ARE_NOT_ALLOWED_TO_GET_A_ROLE")
        return await _find(tx, organization_id, ref)
