"""Teams and their members, with team-scoped roles (an Authmesh extra: a member's role in one
team may differ from their organization role; CheckPermission with that team uses it).

A team of an organization the actor is not in answers TEAM_NOT_FOUND, as an unknown one."""

from authmesh.org.v1 import org_pb2
from authmesh_kit.events import catalogue
from authmesh_kit.ids import new_id
from authmesh_org.domain import access
from authmesh_org.domain.errors import (
    INVALID_TEAM_NAME,
    invalid,
    not_a_member,
    org_error,
    target_not_a_member,
)
from authmesh_org.domain.events import org_event, team_member_added
from authmesh_org.domain.model import Member, Team, TeamMember
from authmesh_org.domain.ports import OrgTransaction, OrgUnitOfWork
from authmesh_org.domain.use_cases.common import (
    Caller,
    OrgContext,
    assignable_roles,
    grants_of,
    locked_membership,
    membership,
    require,
)

MAX_NAME = 256
_TEAM_UPDATE = {"team": frozenset({"update"})}


def _check_name(name: str) -> str:
    if not name.strip() or len(name) > MAX_NAME or "\x00" in name:
        raise invalid(INVALID_TEAM_NAME, f"team name must be 1 to {MAX_NAME} characters")
    return name


async def _team_in_reach(
    tx: OrgTransaction, team_id: str, organization_id: str | None, user_id: str, *, lock: bool
) -> tuple[Team, Member]:
    """The team and the actor's membership in its organization (locked for a change)."""
    team = await tx.team(team_id) if team_id else None
    if team is None or (organization_id and team.organization_id != organization_id):
        raise org_error("TEAM_NOT_FOUND")
    if lock and await tx.lock_organization(team.organization_id) is None:
        raise org_error("TEAM_NOT_FOUND")
    member = await tx.member(team.organization_id, user_id)
    if member is None:
        raise org_error("TEAM_NOT_FOUND")
    return team, member


async def create_team(
    uow: OrgUnitOfWork, ctx: OrgContext, caller: Caller, organization_id: str, name: str
) -> Team:
    _check_name(name)
    async with uow.begin() as tx:
        _, actor = await locked_membership(tx, organization_id, caller.user_id)
        await require(
            tx,
            ctx,
            actor,
            {"team": frozenset({"create"})},
            "YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION",
        )
        if await tx.count_teams(organization_id) >= ctx.policy.maximum_teams:
            raise org_error("YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS")
        now = await tx.now()
        team = Team(new_id(), organization_id, name, now, now)
        if not await tx.insert_team(team):
            raise org_error("TEAM_ALREADY_EXISTS")
        await tx.add_events(
            org_event(
                catalogue.TEAM_CREATED,
                org_pb2.TeamCreated(organization_id=organization_id, team_id=team.id, name=name),
                organization_id=organization_id,
                actor=caller.actor,
            )
        )
    return team


async def update_team(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    team_id: str,
    organization_id: str | None,
    name: str | None,
) -> Team:
    if name is not None:
        _check_name(name)
    async with uow.begin() as tx:
        team, actor = await _team_in_reach(tx, team_id, organization_id, caller.user_id, lock=True)
        await require(tx, ctx, actor, _TEAM_UPDATE, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM")
        if name is None or name == team.name:
            return team
        renamed = await tx.rename_team(team.id, name)
        if renamed is None:
            raise org_error("TEAM_ALREADY_EXISTS")
        await tx.add_events(
            org_event(
                catalogue.TEAM_UPDATED,
                org_pb2.TeamUpdated(
                    organization_id=team.organization_id, team_id=team.id, name=name
                ),
                organization_id=team.organization_id,
                actor=caller.actor,
            )
        )
    return renamed


async def remove_team(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    team_id: str,
    organization_id: str | None,
) -> Team:
    async with uow.begin() as tx:
        team, actor = await _team_in_reach(tx, team_id, organization_id, caller.user_id, lock=True)
        await require(
            tx,
            ctx,
            actor,
            {"team": frozenset({"delete"})},
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION",
        )
        if (
            not ctx.policy.allow_removing_all_teams
            and await tx.count_teams(team.organization_id) <= 1
        ):
            raise org_error("UNABLE_TO_REMOVE_LAST_TEAM")
        await tx.delete_team(team.id)
        await tx.add_events(
            org_event(
                catalogue.TEAM_DELETED,
                org_pb2.TeamDeleted(organization_id=team.organization_id, team_id=team.id),
                organization_id=team.organization_id,
                actor=caller.actor,
            )
        )
    return team


async def list_teams(uow: OrgUnitOfWork, caller: Caller, organization_id: str) -> list[Team]:
    async with uow.begin() as tx:
        await membership(tx, organization_id, caller.user_id)
        return await tx.teams_of(organization_id)


async def list_user_teams(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    *,
    user_id: str | None = None,
    organization_id: str | None = None,
) -> list[Team]:
    """The actor's teams, or (with member:update) another member's in `organization_id`."""
    async with uow.begin() as tx:
        subject = caller.user_id
        if user_id is not None and user_id != caller.user_id:
            if not organization_id:
                raise not_a_member()
            actor = await membership(tx, organization_id, caller.user_id)
            await require(
                tx,
                ctx,
                actor,
                {"member": frozenset({"update"})},
                "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER",
            )
            if await tx.member(organization_id, user_id) is None:
                raise target_not_a_member()
            subject = user_id
        found = await tx.teams_of_user(subject)
    if organization_id:
        return [team for team in found if team.organization_id == organization_id]
    return found


async def get_team_membership(
    uow: OrgUnitOfWork, caller: Caller, team_id: str, organization_id: str | None
) -> tuple[Team, TeamMember]:
    async with uow.begin() as tx:
        team, _ = await _team_in_reach(tx, team_id, organization_id, caller.user_id, lock=False)
        mine = await tx.team_member(team.id, caller.user_id)
        if mine is None:
            raise org_error("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
    return team, mine


async def list_team_members(
    uow: OrgUnitOfWork, ctx: OrgContext, caller: Caller, team_id: str, organization_id: str | None
) -> list[TeamMember]:
    async with uow.begin() as tx:
        team, actor = await _team_in_reach(tx, team_id, organization_id, caller.user_id, lock=False)
        if await tx.team_member(team.id, caller.user_id) is None:
            granted = await grants_of(tx, ctx, team.organization_id, actor.role)
            if not access.allows(granted, _TEAM_UPDATE):
                raise org_error("YOU_CAN_NOT_ACCESS_THE_MEMBERS_OF_THIS_TEAM")
        return await tx.team_members(team.id)


async def add_team_member(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    team_id: str,
    user_id: str,
    organization_id: str | None,
) -> tuple[Team, TeamMember]:
    async with uow.begin() as tx:
        team, actor = await _team_in_reach(tx, team_id, organization_id, caller.user_id, lock=True)
        await require(
            tx, ctx, actor, _TEAM_UPDATE, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER"
        )
        if not user_id or await tx.member(team.organization_id, user_id) is None:
            raise target_not_a_member()
        existing = await tx.team_member(team.id, user_id)
        if existing is not None:
            return team, existing
        if await tx.count_team_members(team.id) >= ctx.policy.maximum_members_per_team:
            raise org_error("TEAM_MEMBER_LIMIT_REACHED")
        added = TeamMember(new_id(), team.id, user_id, None, await tx.now())
        await tx.insert_team_member(team.organization_id, added)
        await tx.add_events(team_member_added(team.organization_id, team.id, user_id, caller.actor))
    return team, added


async def remove_team_member(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    team_id: str,
    user_id: str,
    organization_id: str | None,
) -> Team:
    async with uow.begin() as tx:
        team, actor = await _team_in_reach(tx, team_id, organization_id, caller.user_id, lock=True)
        if user_id != caller.user_id:
            await require(
                tx, ctx, actor, _TEAM_UPDATE, "YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER"
            )
        if not user_id or not await tx.delete_team_member(team.id, user_id):
            raise org_error("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
        await tx.add_events(
            org_event(
                catalogue.TEAM_MEMBER_REMOVED,
                org_pb2.TeamMemberRemoved(
                    organization_id=team.organization_id, team_id=team.id, user_id=user_id
                ),
                organization_id=team.organization_id,
                actor=caller.actor,
                user_id=user_id,
            )
        )
    return team


async def set_team_member_role(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    team_id: str,
    user_id: str,
    roles: list[str],
    organization_id: str | None,
) -> tuple[Team, TeamMember]:
    refusal = "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"
    async with uow.begin() as tx:
        team, actor = await _team_in_reach(tx, team_id, organization_id, caller.user_id, lock=True)
        await require(tx, ctx, actor, {"member": frozenset({"update"})}, refusal)
        target = await tx.team_member(team.id, user_id) if user_id else None
        org_member = await tx.member(team.organization_id, user_id) if user_id else None
        if target is None or org_member is None:
            raise org_error("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
        touches_owner = access.is_owner(org_member.role) or access.is_owner(target.role or "")
        if touches_owner and not access.is_owner(actor.role):
            raise org_error(refusal)
        role = None
        if roles:
            role = await assignable_roles(
                tx, ctx, actor, roles, unknown="ROLE_NOT_FOUND", refusal=refusal
            )
        updated = await tx.set_team_member_role(team.id, user_id, role)
        if updated is None:
            raise org_error("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
        await tx.add_events(
            org_event(
                catalogue.TEAM_MEMBER_ROLE_UPDATED,
                org_pb2.TeamMemberRoleUpdated(
                    organization_id=team.organization_id,
                    team_id=team.id,
                    user_id=user_id,
                    role=role or "",
                ),
                organization_id=team.organization_id,
                actor=caller.actor,
                user_id=user_id,
            )
        )
    return team, updated
