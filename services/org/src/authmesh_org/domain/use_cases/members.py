"""Members: list, change roles, remove, leave. Every change runs under the organization's row
lock, so the last-owner rule holds against concurrent role changes and removals."""

from authmesh.org.v1 import org_pb2
from authmesh_kit.events import catalogue
from authmesh_org.domain import access
from authmesh_org.domain.errors import org_error
from authmesh_org.domain.events import org_event
from authmesh_org.domain.model import Member, MemberQuery
from authmesh_org.domain.ports import OrgTransaction, OrgUnitOfWork
from authmesh_org.domain.use_cases.common import (
    Caller,
    OrgContext,
    assignable_roles,
    locked_membership,
    membership,
    require,
)

_UPDATE = {"member": frozenset({"update"})}
_DELETE = {"member": frozenset({"delete"})}


async def list_members(
    uow: OrgUnitOfWork, caller: Caller, organization_id: str, query: MemberQuery
) -> tuple[list[Member], int]:
    async with uow.begin() as tx:
        await membership(tx, organization_id, caller.user_id)
        return await tx.list_members(organization_id, query)


async def update_member_role(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    organization_id: str,
    member_id: str,
    roles: list[str],
) -> Member:
    refusal = "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"
    async with uow.begin() as tx:
        _, actor = await locked_membership(tx, organization_id, caller.user_id)
        target = await tx.member_by_id(organization_id, member_id) if member_id else None
        if target is None:
            raise org_error("MEMBER_NOT_FOUND")
        await require(tx, ctx, actor, _UPDATE, refusal)
        role = await assignable_roles(
            tx, ctx, actor, roles, unknown="ROLE_NOT_FOUND", refusal=refusal
        )
        was_owner = access.is_owner(target.role)
        if was_owner and not access.is_owner(actor.role):
            raise org_error(refusal)  # only an owner changes an owner's roles
        if was_owner and not access.is_owner(role) and await tx.count_owners(organization_id) <= 1:
            raise org_error("YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER")
        if role == target.role:
            return target
        updated = await tx.set_member_role(target.id, role)
        await tx.add_events(
            org_event(
                catalogue.MEMBER_ROLE_UPDATED,
                org_pb2.MemberRoleUpdated(
                    organization_id=organization_id,
                    member_id=target.id,
                    user_id=target.user_id,
                    old_role=target.role,
                    new_role=role,
                ),
                organization_id=organization_id,
                actor=caller.actor,
                user_id=target.user_id,
            )
        )
    return updated


async def remove_member(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    organization_id: str,
    *,
    member_id: str = "",
    user_id: str = "",
) -> Member:
    refusal = "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER"
    async with uow.begin() as tx:
        _, actor = await locked_membership(tx, organization_id, caller.user_id)
        if member_id:
            target = await tx.member_by_id(organization_id, member_id)
        elif user_id:
            target = await tx.member(organization_id, user_id)
        else:
            target = None
        if target is None:
            raise org_error("MEMBER_NOT_FOUND")
        await require(tx, ctx, actor, _DELETE, refusal)
        if access.is_owner(target.role):
            if not access.is_owner(actor.role):
                raise org_error(refusal)
            if await tx.count_owners(organization_id) <= 1:
                raise org_error("YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER")
        await remove_with_event(tx, target, caller, reason="removed")
    return target


async def leave_organization(uow: OrgUnitOfWork, caller: Caller, organization_id: str) -> Member:
    async with uow.begin() as tx:
        _, actor = await locked_membership(tx, organization_id, caller.user_id)
        if access.is_owner(actor.role) and await tx.count_owners(organization_id) <= 1:
            raise org_error("YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
        await remove_with_event(tx, actor, caller, reason="left")
    return actor


async def remove_with_event(
    tx: OrgTransaction, member: Member, caller: Caller, *, reason: str
) -> None:
    await tx.delete_member(member)
    await tx.add_events(
        org_event(
            catalogue.MEMBER_REMOVED,
            org_pb2.MemberRemoved(
                organization_id=member.organization_id,
                member_id=member.id,
                user_id=member.user_id,
                reason=reason,
            ),
            organization_id=member.organization_id,
            actor=caller.actor,
            user_id=member.user_id,
        )
    )
