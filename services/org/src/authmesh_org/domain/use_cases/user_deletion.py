"""A deleted user leaves every organization (identity's auth.identity.user.deleted).

An organization the user was the last member of is deleted with them. One they were the last
owner of, with members left, is handed to its longest-standing admin (else its longest-standing
member), who becomes owner: an organization without an owner could never again be deleted, nor
its owners' roles changed. Pending invitations the user sent stay valid (the organization sent
them); those addressed to their email simply expire.
"""

from authmesh.org.v1 import org_pb2
from authmesh_kit.events import catalogue
from authmesh_kit.events.envelope import Actor, ActorKind
from authmesh_org.domain import access
from authmesh_org.domain.events import org_event
from authmesh_org.domain.member_query import member_query
from authmesh_org.domain.model import Member
from authmesh_org.domain.ports import OrgTransaction
from authmesh_org.domain.use_cases.common import Caller
from authmesh_org.domain.use_cases.members import remove_with_event
from authmesh_org.domain.use_cases.organizations import delete_with_event


async def _successor(tx: OrgTransaction, member: Member) -> Member | None:
    for role in (access.ADMIN, None):
        query = member_query(
            limit=2,
            offset=None,
            sort_by="createdAt",
            sort_direction="asc",
            filter_field="role" if role else None,
            filter_operator="contains" if role else None,
            filter_value=role,
        )
        found, _ = await tx.list_members(member.organization_id, query)
        others = [candidate for candidate in found if candidate.user_id != member.user_id]
        if others:
            return others[0]
    return None


async def forget_user(tx: OrgTransaction, *, user_id: str, actor: Actor | None) -> None:
    caller = Caller(user_id, actor or Actor(kind=ActorKind.ACTOR_KIND_SYSTEM))
    for member in await tx.memberships_of(user_id):
        organization = await tx.lock_organization(member.organization_id)
        if organization is None:
            continue
        if await tx.count_members(organization.id) <= 1:
            await delete_with_event(tx, organization, caller, reason="last-member-deleted")
            continue
        if access.is_owner(member.role) and await tx.count_owners(organization.id) <= 1:
            successor = await _successor(tx, member)
            if successor is not None:
                role = access.OWNER
                await tx.set_member_role(successor.id, role)
                await tx.add_events(
                    org_event(
                        catalogue.MEMBER_ROLE_UPDATED,
                        org_pb2.MemberRoleUpdated(
                            organization_id=organization.id,
                            member_id=successor.id,
                            user_id=successor.user_id,
                            old_role=successor.role,
                            new_role=role,
                        ),
                        organization_id=organization.id,
                        actor=caller.actor,
                        user_id=successor.user_id,
                    )
                )
        await remove_with_event(tx, member, caller, reason="user-deleted")
